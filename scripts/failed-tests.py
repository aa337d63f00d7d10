#!/usr/bin/env python3
"""Lists the failed tests of every .trx under a directory: name, then the first lines of the message.

build.sh prints this just before the totals, so the tail of a CI log (often all that is kept) names what failed.
"""
import pathlib
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
FAILED = {"Failed", "Error", "Timeout", "Aborted"}


def main(root: str) -> int:
    count = 0
    for trx in sorted(pathlib.Path(root).rglob("*.trx")):
        try:
            results = ET.parse(trx).getroot().iter(NS + "UnitTestResult")
        except ET.ParseError as e:
            print(f"build.sh: {trx.name} is not readable XML ({e})")
            continue
        for result in results:
            if result.get("outcome") not in FAILED:
                continue
            count += 1
            print(f"FAILED {result.get('testName')} [{result.get('duration')}] ({trx.name})")
            message = result.find(f"{NS}Output/{NS}ErrorInfo/{NS}Message")
            lines = (message.text or "").strip().splitlines() if message is not None else []
            for line in lines[:6]:
                print(f"    {line[:300]}")
    if count:
        print(f"{count} failed test(s) listed above")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
