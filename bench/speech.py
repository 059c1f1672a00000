"""The plain mode heard through a speech synthesiser (issue 14): each flow driven on a real
pseudo-terminal as a new user takes it, measured in lines, words and seconds of espeak-ng speech at
175 words a minute, next to the issue's figures and the limit (half of them). For the selfie check
(liveness on, the real clip at camera speed) also the run narration's words per second of camera time.

    bash .ci/with-secret-service uv run python bench/speech.py [--flows selfie interview mydata]
        [--src OTHER_CHECKOUT/src]   # measure another checkout's code (e.g. main, for a before figure)
        [--show]                     # print each transcript
        [--lang es]                  # the selfie check (--lang) and the interview (Language menu) in
                                     # another language, spoken by espeak-ng with that language's voice
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.speech_flows import (  # noqa: E402
    ISSUE_FIGURES,
    SPEAKING_RATE,
    interview_flow,
    mydata_flow,
    new_home,
    selfie_flow,
    speech_seconds,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", nargs="+", default=["selfie", "interview", "mydata"], choices=sorted(ISSUE_FIGURES))
    parser.add_argument("--faces", type=Path, default=ROOT.parent / "shared" / "faces")
    parser.add_argument("--src", type=Path, help="the src folder of another checkout to measure instead of this one")
    parser.add_argument("--show", action="store_true", help="print each transcript")
    parser.add_argument("--lang", default="en", help="the language of the selfie and interview flows (My data: English)")
    args = parser.parse_args(argv)
    print(f"{'flow':<10} {'lines':>5} {'words':>6} {'speech s':>9} {'issue words/s':>14} {'limit words/s':>14}  run narration")
    for flow in args.flows:
        home, keyring_service = new_home()
        if flow == "selfie":
            transcript = selfie_flow(home, keyring_service, args.faces, args.src, args.lang)
        elif flow == "interview":
            transcript = interview_flow(home, keyring_service, args.src, args.lang)
        else:
            transcript = mydata_flow(home, keyring_service, args.src)
        seconds = speech_seconds(transcript.text, transcript.lang)
        words, issue_seconds = ISSUE_FIGURES[flow]
        run = ""
        if transcript.camera_seconds:
            rate = transcript.run_words / transcript.camera_seconds
            run = (f"{transcript.run_words} words in {transcript.camera_seconds:.1f} s of camera time = {rate:.2f} words/s "
                   f"(speech: {SPEAKING_RATE:.2f})")
        print(f"{flow + ' ' + transcript.lang:<10} {transcript.lines:>5} {transcript.words:>6} {seconds:>9.0f} {f'{words}/{issue_seconds}':>14} "
              f"{f'{words // 2}/{issue_seconds // 2}':>14}  {run}")
        if args.show:
            print(transcript.text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
