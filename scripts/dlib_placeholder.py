"""Write ``dlib-20.0.1+prebuilt-py3-none-any.whl``: a placeholder for the distribution ``dlib``.

pip and pipx have no overrides (uv's ``--overrides overrides.txt``): face_recognition requires
the distribution ``dlib``, which pip builds from source (a C++ compiler, 15+ minutes), and pipx
refuses an environment where that distribution's metadata is missing. This wheel is that
distribution with no files: it requires ``dlib-bin`` (the prebuilt wheel of the same ``dlib``
module, which selfverify depends on anyway). Standard library only, so it runs anywhere:

    python3 scripts/dlib_placeholder.py dist/
    pipx install --pip-args="--find-links dist --constraint constraints-pipx.txt" dist/selfverify-*.whl
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

NAME, VERSION = "dlib", "20.0.1+prebuilt"  # constraints-pipx.txt pins this exact version
FILES = {
    "METADATA": (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"
                 "Summary: Placeholder: the dlib module comes from dlib-bin's prebuilt wheel\n"
                 "Requires-Dist: dlib-bin>=19.24\n"),
    "WHEEL": "Wheel-Version: 1.0\nGenerator: selfverify dlib_placeholder\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}


def build(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    info = f"{NAME}-{VERSION}.dist-info"
    wheel = out_dir / f"{NAME}-{VERSION}-py3-none-any.whl"
    records = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in FILES.items():
            data = text.encode()
            zf.writestr(f"{info}/{name}", data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            records.append(f"{info}/{name},sha256={digest},{len(data)}")
        zf.writestr(f"{info}/RECORD", "\n".join(records + [f"{info}/RECORD,,"]) + "\n")
    return wheel


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "dist")))
