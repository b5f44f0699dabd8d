"""Prints one closing line for the whole build: the tests Surefire and Failsafe ran across every module."""
import glob
import xml.etree.ElementTree as ET

counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for path in glob.glob("**/target/*-reports/TEST-*.xml", recursive=True):
    if "/node_modules/" in path:
        continue
    suite = ET.parse(path).getroot()
    for key in counts:
        counts[key] += int(suite.get(key, 0))
failed = counts["failures"] + counts["errors"]
passed = counts["tests"] - failed - counts["skipped"]
print(f"Tests: {passed} passed, {failed} failed, {counts['skipped']} skipped")
