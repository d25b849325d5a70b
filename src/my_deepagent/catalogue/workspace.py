"""Messages about the repository: git checks, worktrees and the sandbox, as a person sees them."""

from __future__ import annotations

from my_deepagent.catalogue import Text

_OFF_EN = "or set MDA_SANDBOX=off to accept running the agent's shell unconfined"
_OFF_KO = "또는 에이전트의 셸을 격리 없이 실행해도 된다면 MDA_SANDBOX=off를 설정하세요"

MESSAGES: dict[str, Text] = {
    # The repository and base branch of `mda start` and `mda chat`.
    "workspace.repo_missing": Text(
        "{path} does not exist (pass an existing repository with --repo)",
        "{path}이(가) 없습니다 (--repo로 있는 저장소를 지정하세요)",
    ),
    "workspace.repo_not_directory": Text(
        "{path} is not a directory (pass the repository folder with --repo)",
        "{path}은(는) 디렉터리가 아닙니다 (--repo로 저장소 폴더를 지정하세요)",
    ),
    "workspace.repo_bare": Text(
        "{path} is a bare repository (pass a clone or worktree that has files with --repo)",
        "{path}은(는) bare 저장소입니다 (--repo로 파일이 있는 클론이나 worktree를 지정하세요)",
    ),
    "workspace.repo_inside_git_dir": Text(
        "{path} is inside a .git directory (pass the repository's working folder)",
        "{path}은(는) .git 디렉터리 안에 있습니다 (저장소의 작업 폴더를 지정하세요)",
    ),
    "workspace.not_a_repository": Text(
        "{path} is not a git repository (run `git init` there or pass --repo)",
        "{path}은(는) git 저장소가 아닙니다 (그곳에서 `git init`을 실행하거나 --repo를 지정하세요)",
    ),
    "workspace.dubious_ownership": Text(
        "git refuses {path}: it is owned by another user "
        "(if you trust it: git config --global --add safe.directory {resolved})",
        "git이 {path}을(를) 거부합니다: 다른 사용자의 소유입니다 "
        "(믿을 수 있다면: git config --global --add safe.directory {resolved})",
    ),
    "workspace.git_cannot_read": Text(
        "git cannot read {path}: {message}", "git이 {path}을(를) 읽을 수 없습니다: {message}"
    ),
    "workspace.head_detached": Text(
        "HEAD of {root} is detached (check out a branch there or pass --base <branch>)",
        "{root}의 HEAD가 분리(detached) 상태입니다 "
        "(그곳에서 브랜치를 체크아웃하거나 --base <branch>를 지정하세요)",
    ),
    "workspace.bad_branch_name": Text(
        "{base} is not a valid branch name (pass --base <branch>)",
        "{base}은(는) 올바른 브랜치 이름이 아닙니다 (--base <branch>를 지정하세요)",
    ),
    "workspace.no_commits": Text(
        "{root} has no commits yet (commit something on a branch first, then start)",
        "{root}에는 아직 커밋이 없습니다 (먼저 브랜치에 무언가를 커밋한 뒤 시작하세요)",
    ),
    "workspace.remote_branch": Text(
        "{base} is a remote-tracking branch; runs start from a local branch "
        "(create one: git branch {local} {remote})",
        "{base}은(는) 원격 추적 브랜치입니다. 실행은 로컬 브랜치에서 시작합니다 "
        "(로컬 브랜치 만들기: git branch {local} {remote})",
    ),
    "workspace.branch_not_found": Text(
        "branch {base} not found in {root} (existing: {existing}; pass --base <branch>)",
        "{root}에서 브랜치 {base}을(를) 찾을 수 없습니다 "
        "(있는 브랜치: {existing}. --base <branch>를 지정하세요)",
    ),
    "workspace.git_missing": Text(
        "git is not installed (install git and put it on PATH)",
        "git이 설치되어 있지 않습니다 (git을 설치하고 PATH에 추가하세요)",
    ),
    # Why no sandbox can start (`mda doctor`; the agent's own refusal is English).
    "workspace.sandbox_exec_missing": Text(
        "{program} is missing on this Mac (" + _OFF_EN + ")",
        "이 Mac에 {program}이(가) 없습니다 (" + _OFF_KO + ")",
    ),
    "workspace.sandbox_platform": Text(
        "mda has no sandbox for {platform} (" + _OFF_EN + ")",
        "mda에는 {platform}용 샌드박스가 없습니다 (" + _OFF_KO + ")",
    ),
    "workspace.sandbox_no_bubblewrap": Text(
        "bubblewrap is not installed (install it: apt install bubblewrap; " + _OFF_EN + ")",
        "bubblewrap이 설치되어 있지 않습니다 (설치하세요: apt install bubblewrap. " + _OFF_KO + ")",
    ),
    "workspace.sandbox_bubblewrap_fails": Text(
        "bubblewrap cannot create a sandbox here ({problem}; " + _OFF_EN + ")",
        "bubblewrap이 여기서 샌드박스를 만들 수 없습니다 ({problem}. " + _OFF_KO + ")",
    ),
}
