//! Integration tests that run the real `qwf` binary, one file per command.

mod common;
mod test_apply_command;
mod test_bad_input;
mod test_branch_command;
mod test_completions_command;
mod test_delete_command;
mod test_diff_command;
mod test_export_command;
mod test_history_command;
mod test_import_command;
mod test_list_command;
mod test_mcp_install_command;
mod test_merge_command;
mod test_rollback_command;
mod test_schema_command;
mod test_show_command;
mod test_skill_command;
mod test_store_hostile;
mod test_undo_command;
mod test_validate_command;
