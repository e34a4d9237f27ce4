#!/usr/bin/env python3
"""Generate docutils reference ("golden") HTML for the reST fixture corpus.

For every ``*.rst`` file in the fixture folder (default:
``test/fixtures/rst`` relative to the repository root) this writes
``<name>.docutils.html`` next to it, containing the ``body`` part of
``docutils.core.publish_parts(..., writer_name='html5')``.

The output is deterministic: files are processed in sorted order, input is
read as UTF-8 and passed as a str, output is written as UTF-8 with ``\\n``
line endings and a single trailing newline.  Docutils auto-generated ids
(``footnote-1`` etc.) are stable for a given input, so running this twice
produces identical bytes.

Usage::

    python3 scripts/golden-rst.py [FIXTURE_DIR] [--check]

``--check`` writes nothing and exits 1 if any golden file is missing or
out of date.
"""

import os
import sys
from pathlib import Path

import docutils
from docutils.core import publish_parts

SETTINGS = {
    # Be quiet and never abort: goldens should reflect what docutils renders
    # even for input that triggers warnings/errors.
    'report_level': 5,
    'halt_level': 5,
    'warning_stream': False,
    # No pygments dependency/variance for code blocks.
    'syntax_highlight': 'none',
    # Nikola's setting: the TeX in \\(…\\) and equation*/align* environments, for MathJax or KaTeX.
    'math_output': 'mathjax',
    # We pass a str; files read by `include` are UTF-8.
    'input_encoding': 'utf-8',
    # Keep a leading section title as a <section>, not the document title.
    'doctitle_xform': False,
    'sectsubtitle_xform': False,
    # Blog post body sits under the page's <h1>.
    'initial_header_level': 2,
    'embed_stylesheet': False,
    'stylesheet_path': '',
    'footnote_references': 'superscript',
    # Determinism: no dates/generator/source links (they are not in 'body'
    # anyway, but keep them off).
    'datestamp': None,
    'generator': False,
    'source_link': False,
    # Do not read docutils.conf files from the environment.
    '_disable_config': True,
}


def render(source: str) -> str:
    parts = publish_parts(
        source=source,
        source_path=None,
        writer_name='html5',
        settings_overrides=dict(SETTINGS),
    )
    body = parts['body']
    return body.rstrip('\n') + '\n'


def main(argv):
    args = [a for a in argv[1:] if not a.startswith('--')]
    check = '--check' in argv[1:]
    if args:
        folder = Path(args[0])
    else:
        folder = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'rst'
    folder = folder.resolve()
    # Includes are read relative to the working folder, as Nikola runs docutils from the site folder.
    os.chdir(folder)
    files = sorted(folder.glob('*.rst'))
    if not files:
        print(f'no .rst files in {folder}', file=sys.stderr)
        return 1
    stale = 0
    for rst in files:
        source = rst.read_text(encoding='utf-8')
        html = render(source)
        out = rst.with_name(rst.stem + '.docutils.html')
        if check:
            current = out.read_text(encoding='utf-8') if out.exists() else None
            if current != html:
                print(f'stale: {out}')
                stale += 1
            continue
        with open(out, 'w', encoding='utf-8', newline='\n') as fh:
            fh.write(html)
        print(f'wrote {out.name}')
    print(f'docutils {docutils.__version__}: {len(files)} file(s)'
          + (f', {stale} stale' if check else ''))
    return 1 if stale else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
