from handoff.directory.command import DirectoryImportCommand
from handoff.directory.imports import TEAM_COLUMNS, import_mobile_crisis_teams


class Command(DirectoryImportCommand):
    help = (
        "Import mobile crisis teams from a UTF-8 CSV with the header "
        f"{','.join(TEAM_COLUMNS)}. Rows create or update teams by name; a file with any bad "
        "row is refused whole."
    )
    noun = "mobile crisis teams"
    importer = staticmethod(import_mobile_crisis_teams)
