"""The audit trail read back: checkpoints over the event log's hash chains, their verification,
the database role the console runs under, and the supervisors' audit viewer."""
