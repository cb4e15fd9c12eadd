//! Integration tests that run the real `qwf` binary, one file per command.

mod common;
mod test_schema_command;
mod test_validate_command;
