"""Checked CSV imports for the emergency-center and mobile-crisis-team directories.

There is no public nationwide list of emergency centers' 10-digit lines, so operators import
state lists or commercial extracts. A wrong digit here sends a counselor to the wrong center in
the worst minute of someone's life, so a file with any bad row is refused whole: every problem
is reported with its line, field and reason, and nothing is written.

Parsing (`parse_emergency_centers`, `parse_mobile_crisis_teams`) is pure: bytes in, rows and
errors out. Importing (`import_emergency_centers`, `import_mobile_crisis_teams`) compares the
rows with the database, and unless it is a dry run, applies them in one transaction.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from django.db import IntegrityError, transaction

from handoff.models import EmergencyCenter, EmergencyCenterPostalCode, MobileCrisisTeam

# USPS codes for the states, DC and the territories that 911 serves.
STATE_NAMES: dict[str, str] = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "AS": "American Samoa",
    "GU": "Guam",
    "MP": "Northern Mariana Islands",
    "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands",
}

CENTER_COLUMNS = (
    "psap_id",
    "name",
    "state",
    "county",
    "city",
    "postal_codes",
    "emergency_line",
    "admin_line",
)
TEAM_COLUMNS = ("name", "state", "counties", "postal_codes", "phone", "hours")

# Used for errors about the file as a whole rather than one column.
FILE = "(file)"

_PHONE = re.compile(
    r"^(?:\+?1[\s.-]*)?"  # optional country code
    r"(?:\((\d{3})\)|(\d{3}))[\s.-]*"  # area code, with or without parentheses
    r"(\d{3})[\s.-]*(\d{4})$"
)
_ZIP = re.compile(r"^[0-9]{5}$")
_PSAP_ID = re.compile(r"^[A-Za-z0-9-]+$")
_POSTAL_SEPARATORS = re.compile(r"[\s;,]+")


class FieldProblem(ValueError):
    """A value that cannot be stored, with the reason in words an operator can act on."""


@dataclass(frozen=True)
class RowError:
    """One problem in an import file. Line 1 is the header."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


@dataclass(frozen=True)
class CenterRow:
    line: int
    psap_id: str
    name: str
    state: str
    county: str
    city: str
    postal_codes: tuple[str, ...]
    emergency_line: str
    admin_line: str


@dataclass(frozen=True)
class TeamRow:
    line: int
    name: str
    state: str
    counties: tuple[str, ...]
    postal_codes: tuple[str, ...]
    phone: str
    hours: str


RowT = TypeVar("RowT", CenterRow, TeamRow)


@dataclass(frozen=True)
class Parsed(Generic[RowT]):
    rows: list[RowT]
    errors: list[RowError]


@dataclass(frozen=True)
class Change:
    """An entry the import creates, updates or deactivates; `fields`: what an update changes."""

    key: str
    action: Literal["create", "update", "deactivate"]
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.action == "update":
            return f"update {self.key} ({', '.join(self.fields)})"
        return f"{self.action} {self.key}"


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: Literal["create", "update", "deactivate"]) -> int:
        return sum(1 for change in self.changes if change.action == action)


# Values ---------------------------------------------------------------------------------------


def normalize_phone(raw: str) -> str:
    """A North American number as 10 digits, from "6146454545", "(614) 645-4545", "+1 614 ..."."""
    value = raw.strip()
    if value in {"911", "112"}:
        raise FieldProblem(f"{value} is not a 10-digit line: give the center's own number")
    match = _PHONE.match(value)
    if match is None:
        raise FieldProblem(f"{value!r} is not a 10-digit North American number")
    area = match.group(1) or match.group(2)
    exchange, subscriber = match.group(3), match.group(4)
    if area[0] in "01":
        raise FieldProblem(f"area code {area} cannot start with 0 or 1")
    if area[1:] == "11":
        raise FieldProblem(f"area code {area} is a service code, not an area code")
    if exchange[0] in "01":
        raise FieldProblem(f"exchange {exchange} cannot start with 0 or 1")
    return area + exchange + subscriber


def normalize_state(raw: str) -> str:
    value = raw.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise FieldProblem(f"{raw.strip()!r} is not a two-letter state code such as OH")
    if value not in STATE_NAMES:
        raise FieldProblem(f"{value} is not a US state or territory code")
    return value


def split_postal_codes(raw: str) -> tuple[str, ...]:
    """ZIP codes separated by spaces, semicolons or commas; duplicates dropped, order kept."""
    codes: list[str] = []
    for code in _POSTAL_SEPARATORS.split(raw.strip()):
        if not code:
            continue
        if not _ZIP.match(code):
            raise FieldProblem(f"{code!r} is not a 5-digit ZIP code")
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def split_counties(raw: str) -> tuple[str, ...]:
    counties: list[str] = []
    for part in raw.split(";"):
        county = _clean(part)
        if county and county.casefold() not in {c.casefold() for c in counties}:
            counties.append(county)
    return tuple(counties)


def _clean(value: str) -> str:
    """Surrounding and repeated whitespace removed: spreadsheets are generous with it."""
    return " ".join(value.split())


# Reading the file -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _RawRow:
    line: int
    values: dict[str, str]


def _read_csv(
    data: bytes, columns: Sequence[str], errors: list[RowError]
) -> Iterable[_RawRow] | None:
    """Header-checked rows, or None when the file cannot be read at all (errors say why)."""
    try:
        # utf-8-sig: spreadsheet programs often start UTF-8 files with a byte-order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1].hex().upper()
        errors.append(
            RowError(line, FILE, f"not UTF-8 text (byte 0x{byte}); save the file as UTF-8 CSV")
        )
        return None
    if not text.strip():
        errors.append(
            RowError(1, FILE, f"the file is empty; expected a header: {','.join(columns)}")
        )
        return None

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [_clean(name).lower() for name in next(reader)]
    except csv.Error as exc:
        errors.append(RowError(1, FILE, f"unreadable CSV: {exc}"))
        return None
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(1, name, "column appears twice in the header"))
        elif name not in columns:
            expected = ",".join(columns)
            shown = name or "(blank)"
            errors.append(RowError(1, shown, f"unknown column; the header must be: {expected}"))
        seen.add(name)
    for name in columns:
        if name not in seen:
            errors.append(RowError(1, name, "column missing from the header"))
    if errors:
        return None

    rows: list[_RawRow] = []
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(line, FILE, f"unreadable CSV: {exc}"))
            return None
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            errors.append(
                RowError(line, FILE, f"row has {len(cells)} fields, the header has {len(header)}")
            )
            continue
        rows.append(_RawRow(line, dict(zip(header, cells, strict=True))))
    if not rows and not errors:
        errors.append(RowError(1, FILE, "the file has a header but no rows"))
        return None
    return rows


class _RowChecker:
    """Collects every problem in a row, so one run of the command shows them all."""

    def __init__(self, raw: _RawRow, errors: list[RowError]) -> None:
        self.raw = raw
        self.errors = errors
        self.failed = False

    def fail(self, name: str, message: str) -> None:
        self.errors.append(RowError(self.raw.line, name, message))
        self.failed = True

    def text(self, name: str, *, required: bool, max_length: int) -> str:
        value = _clean(self.raw.values[name])
        if required and not value:
            self.fail(name, "required")
        elif len(value) > max_length:
            self.fail(name, f"longer than {max_length} characters")
        return value

    def convert(self, name: str, convert: Callable[[str], str], *, required: bool) -> str:
        value = self.raw.values[name].strip()
        if not value:
            if required:
                self.fail(name, "required")
            return ""
        try:
            return convert(value)
        except FieldProblem as exc:
            self.fail(name, str(exc))
            return ""

    def codes(self, name: str) -> tuple[str, ...]:
        try:
            return split_postal_codes(self.raw.values[name])
        except FieldProblem as exc:
            self.fail(name, str(exc))
            return ()


def parse_emergency_centers(data: bytes) -> Parsed[CenterRow]:
    errors: list[RowError] = []
    raw_rows = _read_csv(data, CENTER_COLUMNS, errors)
    if raw_rows is None:
        return Parsed([], errors)
    rows: list[CenterRow] = []
    first_line: dict[str, int] = {}
    for raw in raw_rows:
        check = _RowChecker(raw, errors)
        psap_id = check.text("psap_id", required=True, max_length=16)
        if psap_id and not _PSAP_ID.match(psap_id):
            check.fail("psap_id", "use only letters, digits and dashes")
        elif psap_id in first_line:
            check.fail("psap_id", f"{psap_id} already appears on line {first_line[psap_id]}")
        elif psap_id:
            first_line[psap_id] = raw.line
        name = check.text("name", required=True, max_length=200)
        state = check.convert("state", normalize_state, required=True)
        county = check.text("county", required=False, max_length=100)
        city = check.text("city", required=False, max_length=100)
        postal_codes = check.codes("postal_codes")
        if not county and not postal_codes and not raw.values["postal_codes"].strip():
            check.fail("postal_codes", "give postal codes or a county, or nothing can match it")
        emergency_line = check.convert("emergency_line", normalize_phone, required=True)
        admin_line = check.convert("admin_line", normalize_phone, required=False)
        if not check.failed:
            rows.append(
                CenterRow(
                    line=raw.line,
                    psap_id=psap_id,
                    name=name,
                    state=state,
                    county=county,
                    city=city,
                    postal_codes=postal_codes,
                    emergency_line=emergency_line,
                    admin_line=admin_line,
                )
            )
    return Parsed(rows if not errors else [], errors)


def parse_mobile_crisis_teams(data: bytes) -> Parsed[TeamRow]:
    errors: list[RowError] = []
    raw_rows = _read_csv(data, TEAM_COLUMNS, errors)
    if raw_rows is None:
        return Parsed([], errors)
    rows: list[TeamRow] = []
    first_line: dict[str, int] = {}
    for raw in raw_rows:
        check = _RowChecker(raw, errors)
        name = check.text("name", required=True, max_length=200)
        # Case-insensitive: "Franklin MCT" and "Franklin Mct" would otherwise become two teams.
        key = name.casefold()
        if name and key in first_line:
            check.fail("name", f"{name!r} already appears on line {first_line[key]}")
        elif name:
            first_line[key] = raw.line
        state = check.convert("state", normalize_state, required=True)
        counties = split_counties(raw.values["counties"])
        for county in counties:
            if len(county) > 100:
                check.fail("counties", f"county {county[:20]!r}... is longer than 100 characters")
        postal_codes = check.codes("postal_codes")
        if not counties and not postal_codes and not raw.values["postal_codes"].strip():
            check.fail("counties", "give counties or postal codes, or nothing can match it")
        phone = check.convert("phone", normalize_phone, required=True)
        hours = check.text("hours", required=True, max_length=200)
        if not check.failed:
            rows.append(
                TeamRow(
                    line=raw.line,
                    name=name,
                    state=state,
                    counties=counties,
                    postal_codes=postal_codes,
                    phone=phone,
                    hours=hours,
                )
            )
    return Parsed(rows if not errors else [], errors)


# Applying -------------------------------------------------------------------------------------


class ConcurrentImport(RuntimeError):
    """Another writer created the same entry while this import ran; nothing was written."""


def import_emergency_centers(
    data: bytes, *, dry_run: bool = False, deactivate_missing: bool = False
) -> ImportResult:
    """Create or update centers by psap_id; with deactivate_missing, retire the rest of the
    file's states (never other states: a state list must not switch off the neighbours)."""
    parsed = parse_emergency_centers(data)
    result = ImportResult(errors=parsed.errors, dry_run=dry_run)
    if parsed.errors:
        return result
    try:
        with transaction.atomic():
            _apply_centers(parsed.rows, result, deactivate_missing=deactivate_missing)
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        raise ConcurrentImport(
            "another change to the emergency centers collided with this import; run it again"
        ) from exc
    return result


def _apply_centers(
    rows: list[CenterRow], result: ImportResult, *, deactivate_missing: bool
) -> None:
    ids = [row.psap_id for row in rows]
    states = {row.state for row in rows}
    existing = {
        center.psap_id: center
        for center in EmergencyCenter.objects.select_for_update().filter(psap_id__in=ids)
    }
    codes_by_center: dict[int, set[str]] = {}
    for center_id, code in EmergencyCenterPostalCode.objects.filter(
        center__psap_id__in=ids
    ).values_list("center_id", "postal_code"):
        codes_by_center.setdefault(center_id, set()).add(code)

    for row in rows:
        values = {
            "name": row.name,
            "state": row.state,
            "county": row.county,
            "city": row.city,
            "emergency_line": row.emergency_line,
            "admin_line": row.admin_line,
            "active": True,
        }
        center = existing.get(row.psap_id)
        if center is None:
            center = EmergencyCenter.objects.create(psap_id=row.psap_id, **values)
            EmergencyCenterPostalCode.objects.bulk_create(
                EmergencyCenterPostalCode(center=center, postal_code=code)
                for code in row.postal_codes
            )
            result.changes.append(Change(row.psap_id, "create"))
            continue
        changed = [name for name, value in values.items() if getattr(center, name) != value]
        old_codes = codes_by_center.get(center.pk, set())
        new_codes = set(row.postal_codes)
        if old_codes != new_codes:
            changed.append("postal_codes")
        if not changed:
            result.unchanged += 1
            continue
        for name, value in values.items():
            setattr(center, name, value)
        center.save()
        if old_codes != new_codes:
            # The file is the authority for the codes a listed center covers.
            center.postal_codes.exclude(postal_code__in=new_codes).delete()
            EmergencyCenterPostalCode.objects.bulk_create(
                EmergencyCenterPostalCode(center=center, postal_code=code)
                for code in row.postal_codes
                if code not in old_codes
            )
        result.changes.append(Change(row.psap_id, "update", tuple(changed)))

    if deactivate_missing:
        missing = (
            EmergencyCenter.objects.select_for_update()
            .filter(state__in=states, active=True)
            .exclude(psap_id__in=ids)
            .order_by("psap_id")
        )
        for center in missing:
            center.active = False
            center.save(update_fields=["active", "updated_at"])
            result.changes.append(Change(center.psap_id, "deactivate"))


def import_mobile_crisis_teams(
    data: bytes, *, dry_run: bool = False, deactivate_missing: bool = False
) -> ImportResult:
    """Create or update teams by name; with deactivate_missing, retire the rest of the file's
    states."""
    parsed = parse_mobile_crisis_teams(data)
    result = ImportResult(errors=parsed.errors, dry_run=dry_run)
    if parsed.errors:
        return result
    try:
        with transaction.atomic():
            _apply_teams(parsed.rows, result, deactivate_missing=deactivate_missing)
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        raise ConcurrentImport(
            "another change to the mobile crisis teams collided with this import; run it again"
        ) from exc
    return result


def _apply_teams(rows: list[TeamRow], result: ImportResult, *, deactivate_missing: bool) -> None:
    names = [row.name for row in rows]
    states = {row.state for row in rows}
    existing = {
        team.name: team
        for team in MobileCrisisTeam.objects.select_for_update().filter(name__in=names)
    }
    for row in rows:
        values: dict[str, object] = {
            "state": row.state,
            "counties": list(row.counties),
            "postal_codes": list(row.postal_codes),
            "phone": row.phone,
            "hours": row.hours,
            "active": True,
        }
        team = existing.get(row.name)
        if team is None:
            MobileCrisisTeam.objects.create(name=row.name, **values)
            result.changes.append(Change(row.name, "create"))
            continue
        changed = tuple(name for name, value in values.items() if getattr(team, name) != value)
        if not changed:
            result.unchanged += 1
            continue
        for name, value in values.items():
            setattr(team, name, value)
        team.save()
        result.changes.append(Change(row.name, "update", changed))

    if deactivate_missing:
        missing = (
            MobileCrisisTeam.objects.select_for_update()
            .filter(state__in=states, active=True)
            .exclude(name__in=names)
            .order_by("name")
        )
        for team in missing:
            team.active = False
            team.save(update_fields=["active", "updated_at"])
            result.changes.append(Change(team.name, "deactivate"))


# Reporting ------------------------------------------------------------------------------------


def refusal_message(path: str, result: ImportResult) -> str:
    """What the operator needs to fix, one problem a line."""
    count = len(result.errors)
    problems = "problem" if count == 1 else "problems"
    lines = [f"Refused {path}: {count} {problems}, nothing was imported."]
    lines.extend(str(error) for error in result.errors)
    return "\n".join(lines)


def summary_message(result: ImportResult, noun: str) -> str:
    verb = "Would" if result.dry_run else "Did"
    head = (
        f"{verb} create {result.count('create')}, update {result.count('update')}, "
        f"deactivate {result.count('deactivate')} {noun}; {result.unchanged} unchanged."
    )
    if result.dry_run:
        head += " Dry run: nothing was written."
    return "\n".join([head, *(f"  {change}" for change in result.changes)])
