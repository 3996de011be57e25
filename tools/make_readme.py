"""Write README.md from nbs/index.ipynb (quarto, which nbdev_readme needs, is not available here).
Drops `#| hide` cells and `#|` directive lines; keeps text outputs."""
import json, pathlib

root = pathlib.Path(__file__).resolve().parent.parent
nb = json.loads((root / 'nbs' / 'index.ipynb').read_text())
out = []
for cell in nb['cells']:
    src = ''.join(cell['source'])
    if cell['cell_type'] == 'markdown':
        out.append(src.strip()); continue
    lines = src.split('\n')
    if any(l.strip().replace(' ', '') in ('#|hide', '#|export') for l in lines): continue
    code = '\n'.join(l for l in lines if not l.lstrip().startswith('#|')).strip()
    if code: out.append(f'```python\n{code}\n```')
    texts = []
    for o in cell.get('outputs', []):
        if o.get('output_type') == 'stream' and o.get('name') == 'stdout': texts.append(''.join(o['text']))
        elif 'data' in o and 'text/plain' in o['data']: texts.append(''.join(o['data']['text/plain']))
        elif 'data' in o and 'text/markdown' in o['data']: texts.append(''.join(o['data']['text/markdown']))
    text = '\n'.join(t.rstrip() for t in texts).strip()
    if text: out.append(f'```\n{text}\n```')
(root / 'README.md').write_text('\n\n'.join(out) + '\n')
print('wrote README.md')
