from handoff.directory.command import DirectoryImportCommand
from handoff.directory.imports import CENTER_COLUMNS, import_emergency_centers


class Command(DirectoryImportCommand):
    help = (
        "Import emergency centers from a UTF-8 CSV with the header "
        f"{','.join(CENTER_COLUMNS)}. Rows create or update centers by psap_id; a file with "
        "any bad row is refused whole."
    )
    noun = "emergency centers"
    importer = staticmethod(import_emergency_centers)
