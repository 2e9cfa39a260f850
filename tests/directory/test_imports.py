"""The import commands: good files upsert in one go, a file with any bad row changes nothing."""

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from handoff.directory.imports import (
    FieldProblem,
    normalize_phone,
    parse_emergency_centers,
    split_postal_codes,
)
from handoff.models import EmergencyCenter, EmergencyCenterPostalCode, MobileCrisisTeam

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
HEADER = "psap_id,name,state,county,city,postal_codes,emergency_line,admin_line"


def run(command: str, path: Path | str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, str(path), *args, stdout=out)
    return out.getvalue()


def refused(command: str, path: Path | str, *args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(command, path, *args)
    message = str(caught.value)
    assert "nothing was imported" in message
    return message


def centers_snapshot() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        dict(row) for row in EmergencyCenter.objects.order_by("psap_id").values()
    ]
    for row in rows:
        row["postal_codes"] = sorted(
            EmergencyCenterPostalCode.objects.filter(center_id=row["id"]).values_list(
                "postal_code", flat=True
            )
        )
    return rows


def teams_snapshot() -> list[dict[str, Any]]:
    return [dict(row) for row in MobileCrisisTeam.objects.order_by("name").values()]


@pytest.fixture
def centers() -> list[dict[str, Any]]:
    run("import_emergency_centers", DATA / "centers.csv")
    return centers_snapshot()


def test_good_file_creates_centers_with_ten_digit_lines_and_postal_codes(
    centers: list[dict[str, Any]],
) -> None:
    assert [c["psap_id"] for c in centers] == [str(n) for n in range(9001, 9008)]
    columbus = EmergencyCenter.objects.get(psap_id="9001")
    assert columbus.emergency_line == "6145550101"
    assert columbus.admin_line == "6145550102"
    assert sorted(columbus.postal_codes.values_list("postal_code", flat=True)) == [
        "43017",
        "43201",
        "43210",
        "43215",
    ]
    # "+1 740 555 0103", "765.555.0105", lower-case state, a quoted comma: all normalised.
    assert EmergencyCenter.objects.get(psap_id="9002").emergency_line == "7405550103"
    assert EmergencyCenter.objects.get(psap_id="9003").admin_line == "7655550105"
    pickaway = EmergencyCenter.objects.get(psap_id="9005")
    assert pickaway.state == "OH"
    assert pickaway.name == "Pickaway Example 911, Sheriff's Office"


def test_reimport_updates_by_psap_id_and_reports_what_changed(
    centers: list[dict[str, Any]], tmp_path: Path
) -> None:
    again = run("import_emergency_centers", DATA / "centers.csv")
    assert "create 0, update 0, deactivate 0 emergency centers; 7 unchanged" in again

    changed = tmp_path / "changed.csv"
    changed.write_text(
        f"{HEADER}\n"
        "9001,Columbus Example Emergency Communications,OH,Franklin,Columbus,"
        "43215 43299,(614) 555-0190,\n"
    )
    out = run("import_emergency_centers", changed)
    assert "update 1" in out
    assert "update 9001 (emergency_line, admin_line, postal_codes)" in out
    columbus = EmergencyCenter.objects.get(psap_id="9001")
    assert columbus.emergency_line == "6145550190"
    assert columbus.admin_line == ""
    assert sorted(columbus.postal_codes.values_list("postal_code", flat=True)) == [
        "43215",
        "43299",
    ]
    assert EmergencyCenter.objects.count() == 7


def test_dry_run_reports_but_writes_nothing(centers: list[dict[str, Any]], tmp_path: Path) -> None:
    path = tmp_path / "dry.csv"
    path.write_text(
        f"{HEADER}\n"
        "9001,Columbus Renamed,OH,Franklin,Columbus,43215,(614) 555-0190,\n"
        "9020,Licking Example 911,OH,Licking,Newark,43055,(740) 555-0120,\n"
    )
    out = run("import_emergency_centers", path, "--dry-run")
    assert "Would create 1, update 1" in out
    assert "Dry run: nothing was written." in out
    assert "create 9020" in out
    assert centers_snapshot() == centers


def test_deactivate_missing_only_touches_the_files_states(
    centers: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "ohio_only.csv"
    path.write_text(f"{HEADER}\n9001,Columbus,OH,Franklin,Columbus,43215,(614) 555-0101,\n")
    out = run("import_emergency_centers", path, "--deactivate-missing")
    assert "deactivate 4" in out
    active = set(EmergencyCenter.objects.filter(active=True).values_list("psap_id", flat=True))
    # Ohio centers not in the file are retired; Indiana and Louisiana are left alone.
    assert active == {"9001", "9003", "9004"}
    # Listing a retired center again brings it back.
    run("import_emergency_centers", DATA / "centers.csv")
    assert EmergencyCenter.objects.filter(active=False).count() == 0


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        (
            "centers_bad_phone.csv",
            ["line 3, emergency_line: exchange 055 cannot start with 0 or 1"],
        ),
        ("centers_bad_state.csv", ["line 3, state: 'Ohio' is not a two-letter state code"]),
        ("centers_bad_zip.csv", ["line 3, postal_codes: '4305' is not a 5-digit ZIP code"]),
        ("centers_missing_field.csv", ["line 3, emergency_line: required"]),
        ("centers_duplicate_psap.csv", ["line 4, psap_id: 9010 already appears on line 3"]),
        ("centers_unknown_column.csv", ["line 1, fax: unknown column"]),
        ("centers_missing_column.csv", ["line 1, emergency_line: column missing from the header"]),
        ("centers_empty.csv", ["line 1, (file): the file is empty"]),
    ],
)
def test_bad_center_file_imports_nothing_and_says_where_and_why(
    centers: list[dict[str, Any]], filename: str, expected: list[str]
) -> None:
    message = refused("import_emergency_centers", DATA / filename)
    for text in expected:
        assert text in message
    # The good row in the same file (a rename and a new number for 9001) was not applied.
    assert centers_snapshot() == centers


def test_non_utf8_file_is_refused_with_a_clear_error(
    centers: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        f"{HEADER}\n9001,Columbus Renamed,OH,Franklin,Columbus,43215,(614) 555-0190,\n".encode()
        + "9020,Licking Caf\u00e9 911,OH,Licking,Newark,43055,(740) 555-0120,\n".encode("latin-1")
    )
    message = refused("import_emergency_centers", path)
    assert "line 3, (file): not UTF-8 text (byte 0xE9)" in message
    assert "Traceback" not in message
    assert centers_snapshot() == centers


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text(
        f"{HEADER}\n"
        "9030,,XX,Licking,Newark,ABCDE,911,(740) 555-01\n"
        "9031,Knox Example,OH,,,,(740) 555-0131,\n"
        "9032,Too,Few,Fields\n"
    )
    message = refused("import_emergency_centers", path)
    for text in [
        "line 2, name: required",
        "line 2, state: XX is not a US state or territory code",
        "line 2, postal_codes: 'ABCDE' is not a 5-digit ZIP code",
        "line 2, emergency_line: 911 is not a 10-digit line",
        "line 2, admin_line: '(740) 555-01' is not a 10-digit North American number",
        "line 3, postal_codes: give postal codes or a county",
        "line 4, (file): row has 4 fields, the header has 8",
    ]:
        assert text in message
    assert EmergencyCenter.objects.count() == 0


def test_header_only_and_missing_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(f"{HEADER}\n")
    assert "the file has a header but no rows" in refused("import_emergency_centers", path)
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_emergency_centers", tmp_path / "absent.csv")


def test_line_numbers_count_the_header_blank_lines_and_quoted_newlines() -> None:
    data = (
        f"\ufeff{HEADER}\n"
        '9040,"Two\nline name",OH,Franklin,,,(614) 555-0140,\n'
        "\n"
        "9041,Bad,OH,Franklin,,,(614) 155-0141,\n"
    ).encode()
    parsed = parse_emergency_centers(data)
    assert [(e.line, e.field) for e in parsed.errors] == [(5, "emergency_line")]
    assert parsed.rows == []


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("6146454545", "6146454545"),
        ("(614) 645-4545", "6146454545"),
        ("614-645-4545", "6146454545"),
        ("+1 614 645 4545", "6146454545"),
        ("1-614-645-4545", "6146454545"),
        ("614.645.4545", "6146454545"),
    ],
)
def test_phone_formats_accepted(raw: str, digits: str) -> None:
    assert normalize_phone(raw) == digits


@pytest.mark.parametrize(
    "raw", ["014 645 4545", "614 045 4545", "911 645 4545", "645-4545", "61464545450", "911"]
)
def test_phone_formats_refused(raw: str) -> None:
    with pytest.raises(FieldProblem):
        normalize_phone(raw)


def test_postal_codes_split_on_spaces_and_semicolons() -> None:
    assert split_postal_codes(" 43215; 43201 43215 ;") == ("43215", "43201")
    with pytest.raises(FieldProblem):
        split_postal_codes("43215-1234")


# Mobile crisis teams --------------------------------------------------------------------------


def test_team_import_creates_and_updates_by_name(tmp_path: Path) -> None:
    out = run("import_mobile_crisis_teams", DATA / "teams.csv")
    assert "create 4" in out
    franklin = MobileCrisisTeam.objects.get(name="Franklin Example Mobile Crisis")
    assert franklin.counties == ["Franklin", "Pickaway"]
    assert franklin.postal_codes == []
    assert franklin.phone == "6145550111"
    delaware = MobileCrisisTeam.objects.get(name="Delaware Example Crisis Response")
    assert delaware.postal_codes == ["43015", "43017"]
    assert delaware.hours == "Mon-Fri 08:00-20:00"

    path = tmp_path / "update.csv"
    path.write_text(
        "name,state,counties,postal_codes,phone,hours\n"
        "Franklin Example Mobile Crisis,OH,Franklin,,(614) 555-0111,Mon-Sun 07:00-23:00\n"
    )
    out = run("import_mobile_crisis_teams", path)
    assert "update Franklin Example Mobile Crisis (counties, hours)" in out
    franklin.refresh_from_db()
    assert franklin.counties == ["Franklin"]
    assert MobileCrisisTeam.objects.count() == 4


def test_bad_team_file_imports_nothing() -> None:
    run("import_mobile_crisis_teams", DATA / "teams.csv")
    before = teams_snapshot()
    message = refused("import_mobile_crisis_teams", DATA / "teams_bad.csv")
    for text in [
        "line 3, phone: '(740) 555-01' is not a 10-digit North American number",
        "line 4, counties: give counties or postal codes",
        "line 5, name: 'franklin example mobile crisis' already appears on line 2",
    ]:
        assert text in message
    # Line 2 alone was a valid change to an existing team; it was not applied.
    assert teams_snapshot() == before


def test_team_file_with_wrong_header_or_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "teams.csv"
    path.write_text("name,state,counties,postal_codes,phone\nA,OH,Franklin,,(614) 555-0111\n")
    assert "line 1, hours: column missing from the header" in refused(
        "import_mobile_crisis_teams", path
    )
    path.write_bytes(b"name,state,counties,postal_codes,phone,hours\n\xff\xfe\n")
    assert "line 2, (file): not UTF-8 text" in refused("import_mobile_crisis_teams", path)
    assert MobileCrisisTeam.objects.count() == 0


def test_windows_line_endings_and_spreadsheet_whitespace_are_accepted() -> None:
    data = (
        b"PSAP_ID , Name,state,county,city,postal_codes,emergency_line,admin_line\r\n"
        b" 9050 ,  Franklin   Example ,OH, Franklin ,,43215 ,(614) 555-0150,\r\n"
    )
    parsed = parse_emergency_centers(data)
    assert parsed.errors == []
    [row] = parsed.rows
    assert (row.line, row.psap_id, row.name, row.county) == (
        2,
        "9050",
        "Franklin Example",
        "Franklin",
    )
    assert row.postal_codes == ("43215",)
