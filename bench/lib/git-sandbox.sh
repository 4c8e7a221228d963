# Sourced by bench scripts: git_sandbox DIR makes git read no system or user configuration and commit under a fixed
# identity, with HOME at DIR/home, so that a run neither reads nor changes the user's own setup.
git_sandbox() {
    export HOME=$1/home GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$1/home/gitconfig
    export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
    export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
    mkdir -p "$HOME"
}
