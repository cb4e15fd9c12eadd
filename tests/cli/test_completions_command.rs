use crate::common::TestEnv;

#[test]
fn completion_scripts_name_every_command() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish"] {
        let run = env.run(&["completions", shell]).ok();
        for command in ["create", "rollback", "resources", "run", "completions"] {
            assert!(
                run.stdout.contains(command),
                "{shell} script lacks {command}"
            );
        }
    }
    // An unknown shell is a usage error naming the ones there are.
    let run = env.run(&["completions", "nushell"]).expect(2);
    assert!(
        run.stderr.contains("possible values: bash"),
        "{}",
        run.stderr
    );
}
