"""Messages about the files mda loads: personas, templates, schemas, bindings, model names
and prices; budgets, token encodings and the example repositories too."""

from __future__ import annotations

from my_deepagent.catalogue import Text

_FIX_PATH_EN = "(use a relative path inside the repository, such as .mda/artifacts/spec.json)"
_FIX_PATH_KO = "(저장소 안의 상대 경로를 쓰세요. 예: .mda/artifacts/spec.json)"
_CHANGED_EN = "changed since the run started (restore it, or start a new run)"

MESSAGES: dict[str, Text] = {
    # What an asset is, inside other messages.
    "assets.kind_asset": Text("asset", "에셋"),
    "assets.kind_persona": Text("persona", "페르소나"),
    "assets.kind_template": Text("template", "템플릿"),
    "assets.kind_schema": Text("schema", "스키마"),
    "assets.none": Text("none", "없음"),
    # A problem in one file: the file, the field, what is wrong and the fix.
    "assets.field_is": Text(
        "{path}: field `{field}` {message}", "{path}: `{field}` 필드: {message}"
    ),
    "assets.field_colon": Text(
        "{path}: field `{field}`: {message}", "{path}: `{field}` 필드: {message}"
    ),
    "assets.bad_id": Text(
        "{value} is not a valid id (use lower-case words joined by '-', e.g. my-reviewer)",
        "{value}: 올바른 id가 아닙니다 ('-'로 이은 소문자 단어를 쓰세요. 예: my-reviewer)",
    ),
    "assets.bad_name": Text(
        "{value} is not a valid name (use lower-case snake_case, e.g. spec_writer)",
        "{value}: 올바른 이름이 아닙니다 (소문자 snake_case를 쓰세요. 예: spec_writer)",
    ),
    "assets.field_missing": Text("is missing (add it)", "값이 없습니다 (추가하세요)"),
    "assets.unknown_key": Text(
        "unknown key (remove it or fix its spelling; allowed here: {allowed})",
        "알 수 없는 키입니다 (지우거나 철자를 고치세요. 여기서 쓸 수 있는 키: {allowed})",
    ),
    "assets.not_allowed": Text(
        "{value} is not allowed (use one of {expected})",
        "{value}: 허용되지 않는 값입니다 ({expected} 중 하나를 쓰세요)",
    ),
    "assets.too_short": Text(
        "needs at least {count} entry, got {value} (add one)",
        "항목이 {count}개 이상 있어야 하는데 {value}입니다 (하나 추가하세요)",
    ),
    "assets.not_mapping": Text(
        "expected a mapping of keys, got {value}", "키의 매핑이 와야 하는데 {value}입니다"
    ),
    "assets.bad_value": Text(
        "{problem}, got {value} (fix the value)",
        "{problem}: 받은 값은 {value}입니다 (값을 고치세요)",
    ),
    # Reading a file.
    "assets.yaml_duplicate_key": Text(
        "line {line}: invalid YAML: duplicate key {key} (keep one)",
        "{line}번째 줄: 올바르지 않은 YAML입니다: 키 {key}이(가) 중복됩니다 (하나만 남기세요)",
    ),
    "assets.yaml_invalid_at": Text(
        "line {line}: invalid YAML: {problem} (fix the YAML syntax)",
        "{line}번째 줄: 올바르지 않은 YAML입니다: {problem} (YAML 문법을 고치세요)",
    ),
    "assets.yaml_invalid": Text(
        "invalid YAML: {problem} (fix the YAML syntax)",
        "올바르지 않은 YAML입니다: {problem} (YAML 문법을 고치세요)",
    ),
    "assets.json_invalid": Text(
        "line {line} column {column}: invalid JSON: {problem} (fix the JSON syntax)",
        "{line}번째 줄 {column}번째 열: 올바르지 않은 JSON입니다: {problem} (JSON 문법을 고치세요)",
    ),
    "assets.not_utf8": Text(
        "is not UTF-8 text (save it as UTF-8)", "UTF-8 텍스트가 아닙니다 (UTF-8로 저장하세요)"
    ),
    "assets.unreadable": Text(
        "cannot be read: {reason} (check permissions)",
        "읽을 수 없습니다: {reason} (권한을 확인하세요)",
    ),
    "assets.top_level_empty": Text(
        "expected a mapping of fields at the top level, got an empty file",
        "최상위에 필드의 매핑이 와야 하는데 빈 파일입니다",
    ),
    "assets.top_level_type": Text(
        "expected a mapping of fields at the top level, got a {type}",
        "최상위에 필드의 매핑이 와야 하는데 {type}입니다",
    ),
    # References: id@version.
    "assets.bad_ref": Text(
        "bad {kind} reference {text} (write ID or ID@VERSION, for example spec-and-review@1: "
        "lower-case words joined by '-', VERSION a positive integer)",
        "잘못된 {kind} 참조 {text}입니다 (ID 또는 ID@VERSION으로 쓰세요. 예: spec-and-review@1. "
        "ID는 '-'로 이은 소문자 단어, VERSION은 양의 정수입니다)",
    ),
    "assets.not_exact_ref": Text(
        "{value} is not a {kind} reference ID@VERSION (write for example {example})",
        "{value}: {kind} 참조 ID@VERSION 형식이 아닙니다 (예: {example})",
    ),
    # Model names.
    "assets.not_provider_model": Text(
        "{text} is not provider:model (write for example {example}; providers: {providers})",
        "{text}: provider:model 형식이 아닙니다 (예: {example}. 제공자: {providers})",
    ),
    "assets.unknown_provider": Text(
        "unknown provider {provider} in {text} (use one of {providers})",
        "{text}의 제공자 {provider}을(를) 알 수 없습니다 ({providers} 중 하나를 쓰세요)",
    ),
    "assets.compatible_base_url_missing": Text(
        "MDA_OPENAI_COMPATIBLE_BASE_URL is not set: export it or set "
        "openai_compatible_base_url in {config} (e.g. http://127.0.0.1:8080/v1)",
        "MDA_OPENAI_COMPATIBLE_BASE_URL이 설정되지 않았습니다: 환경 변수로 내보내거나 "
        "{config}에 openai_compatible_base_url을 설정하세요 (예: http://127.0.0.1:8080/v1)",
    ),
    # Personas.
    "assets.capability_twice": Text(
        "{capability} is listed twice (remove one)",
        "{capability}이(가) 두 번 나옵니다 (하나를 지우세요)",
    ),
    # Templates.
    "assets.path_absolute": Text(
        "{value} is absolute " + _FIX_PATH_EN, "{value}: 절대 경로입니다 " + _FIX_PATH_KO
    ),
    "assets.path_dots": Text(
        "{value} has '..', '.' or an empty segment " + _FIX_PATH_EN,
        "{value}: '..', '.' 또는 빈 구간이 있습니다 " + _FIX_PATH_KO,
    ),
    "assets.path_in_git": Text(
        "{value} is inside .git " + _FIX_PATH_EN, "{value}: .git 안에 있습니다 " + _FIX_PATH_KO
    ),
    "assets.path_not_json": Text(
        "{value} does not end in .json (artifacts are JSON files)",
        "{value}: .json으로 끝나지 않습니다 (산출물은 JSON 파일입니다)",
    ),
    "assets.timeout_needs_gate": Text(
        "a timeout needs `required: true` (or remove it)",
        "timeout에는 `required: true`가 필요합니다 (아니면 timeout을 지우세요)",
    ),
    "assets.phase_unknown_role": Text(
        "unknown role {role} (roles are: {roles}; fix the phase's role or add the role)",
        "알 수 없는 역할 {role}입니다 (역할: {roles}. 단계의 역할을 고치거나 역할을 추가하세요)",
    ),
    "assets.input_not_earlier": Text(
        "{key} is not an earlier phase (inputs may name: {earlier})",
        "{key}: 앞선 단계가 아닙니다 (inputs에 쓸 수 있는 단계: {earlier})",
    ),
    "assets.input_in_first_phase": Text(
        "{key} is not an earlier phase (inputs may name: nothing, this is the first phase)",
        "{key}: 앞선 단계가 아닙니다 (첫 단계라서 inputs에 쓸 수 있는 단계가 없습니다)",
    ),
    "assets.role_unused": Text(
        "role {role} is not used by any phase (remove it)",
        "역할 {role}을(를) 쓰는 단계가 없습니다 (역할을 지우세요)",
    ),
    "assets.role_twice": Text(
        "role {value} is used twice (make it unique)",
        "역할 {value}이(가) 두 번 쓰였습니다 (겹치지 않게 고치세요)",
    ),
    "assets.phase_key_twice": Text(
        "phase key {value} is used twice (make it unique)",
        "단계 키 {value}이(가) 두 번 쓰였습니다 (겹치지 않게 고치세요)",
    ),
    "assets.path_twice": Text(
        "path {value} is used twice (make it unique)",
        "경로 {value}이(가) 두 번 쓰였습니다 (겹치지 않게 고치세요)",
    ),
    # Schemas.
    "assets.schema_id_mismatch": Text(
        "the document's $id does not match id@version", "문서의 $id가 id@version과 맞지 않습니다"
    ),
    "assets.schema_bad_id": Text(
        "{value} must name the schema as mda:ID@VERSION (e.g. mda:spec@1)",
        "{value}: 스키마 이름은 mda:ID@VERSION 형식이어야 합니다 (예: mda:spec@1)",
    ),
    "assets.schema_not_object": Text(
        "expected a JSON object, got {value}", "JSON 객체가 와야 하는데 {value}입니다"
    ),
    "assets.schema_draft": Text(
        "must be {draft} (JSON Schema draft 2020-12)",
        "{draft}이어야 합니다 (JSON Schema draft 2020-12)",
    ),
    "assets.schema_title_missing": Text(
        "is missing (add a short title)", "값이 없습니다 (짧은 제목을 추가하세요)"
    ),
    "assets.schema_description_type": Text("must be a string", "문자열이어야 합니다"),
    "assets.schema_type_object": Text(
        'must be "object" (an artifact is a JSON object)',
        '"object"이어야 합니다 (산출물은 JSON 객체입니다)',
    ),
    "assets.schema_invalid": Text(
        "invalid JSON Schema: {problem} (fix it to follow draft 2020-12)",
        "올바르지 않은 JSON Schema입니다: {problem} (draft 2020-12를 따르도록 고치세요)",
    ),
    # The catalog: every file together.
    "assets.duplicate": Text(
        "duplicate {kind} {ref}: defined in {first} and in {second} "
        "(keep one, or give one of them a new version)",
        "{kind} {ref}이(가) 중복됩니다: {first}와(과) {second}에 정의되어 있습니다 "
        "(하나만 남기거나 둘 중 하나에 새 버전을 매기세요)",
    ),
    "assets.template_no_schema": Text(
        "no schema {ref} (known: {known}; fix the reference or add <config>/schemas/{id}.json)",
        "스키마 {ref}이(가) 없습니다 (알려진 스키마: {known}. 참조를 고치거나 "
        "<config>/schemas/{id}.json을 추가하세요)",
    ),
    "assets.template_no_persona": Text(
        "no persona {ref} (fix the reference or remove it; see `mda personas list`)",
        "페르소나 {ref}이(가) 없습니다 (참조를 고치거나 지우세요. `mda personas list` 참고)",
    ),
    "assets.default_persona_lacks": Text(
        "persona {persona} lacks {missing}, which role {role} needs (pick a capable persona)",
        "페르소나 {persona}에게는 역할 {role}에 필요한 {missing} 능력이 없습니다 "
        "(그 능력을 가진 페르소나를 고르세요)",
    ),
    "assets.not_found": Text(
        "no {kind} {ref} (run `mda {command} list`)",
        "{kind} {ref}이(가) 없습니다 (`mda {command} list`를 실행하세요)",
    ),
    "assets.schema_not_found": Text(
        "no schema {ref} (known: {known})", "스키마 {ref}이(가) 없습니다 (알려진 스키마: {known})"
    ),
    # Binding roles to personas.
    "assets.bad_persona_option": Text(
        "bad --persona {item} (write ROLE=PERSONA, e.g. reviewer=x@1)",
        "--persona {item} 값이 잘못되었습니다 (ROLE=PERSONA 형식으로 쓰세요. 예: reviewer=x@1)",
    ),
    "assets.persona_option_twice": Text(
        "--persona names role {role} twice (keep one)",
        "--persona에 역할 {role}이(가) 두 번 나옵니다 (하나만 남기세요)",
    ),
    "assets.override_unknown_role": Text(
        "--persona {name}=...: template {template} has no role {role} (roles are: {roles})",
        "--persona {name}=...: 템플릿 {template}에는 역할 {role}이(가) 없습니다 (역할: {roles})",
    ),
    "assets.no_persona_for_role": Text(
        "no persona can fill role {role} of template {template} (needs: {needs}); add a "
        "persona with these capabilities or pass --persona {name}=ID",
        "템플릿 {template}의 역할 {role}을(를) 맡을 페르소나가 없습니다 (필요한 능력: {needs}). "
        "이 능력을 가진 페르소나를 추가하거나 --persona {name}=ID를 지정하세요",
    ),
    "assets.no_scripted_persona_for_role": Text(
        "no scripted persona can fill role {role} of template {template} (needs: {needs}); add "
        "a persona with these capabilities or pass --persona {name}=ID",
        "템플릿 {template}의 역할 {role}을(를) 맡을 scripted 페르소나가 없습니다 "
        "(필요한 능력: {needs}). 이 능력을 가진 페르소나를 추가하거나 --persona {name}=ID를 "
        "지정하세요",
    ),
    "assets.template_changed": Text(
        "template {template} " + _CHANGED_EN,
        "실행이 시작된 뒤 템플릿 {template}이(가) 바뀌었습니다 (되돌리거나 새 실행을 시작하세요)",
    ),
    "assets.persona_changed": Text(
        "persona {persona} (role {role}) " + _CHANGED_EN,
        "실행이 시작된 뒤 페르소나 {persona}(역할 {role})이(가) 바뀌었습니다 "
        "(되돌리거나 새 실행을 시작하세요)",
    ),
    "assets.unknown_preferred_provider": Text(
        "unknown provider {provider} (use: {providers})",
        "알 수 없는 제공자 {provider}입니다 (쓸 수 있는 제공자: {providers})",
    ),
    "assets.persona_cannot_fill": Text(
        "persona {persona} cannot fill role {role}: it lacks {missing} (pick a persona with "
        "these capabilities, see `mda personas list`)",
        "페르소나 {persona}은(는) 역할 {role}을(를) 맡을 수 없습니다: {missing} 능력이 없습니다 "
        "(이 능력을 가진 페르소나를 고르세요. `mda personas list` 참고)",
    ),
    "assets.persona_not_offline": Text(
        "persona {persona} uses provider {provider}, but offline mode allows only scripted "
        "personas (drop --offline or pick a scripted persona)",
        "페르소나 {persona}은(는) 제공자 {provider}을(를) 쓰지만, 오프라인 모드에서는 scripted "
        "페르소나만 쓸 수 있습니다 (--offline을 빼거나 scripted 페르소나를 고르세요)",
    ),
    # Budgets.
    "assets.scope_run": Text("the run's budget", "실행 예산"),
    "assets.scope_session": Text("the session's budget", "세션 예산"),
    "assets.scope_day": Text(
        "today's budget (all runs and sessions, UTC day)",
        "오늘 예산 (모든 실행과 세션, UTC 기준 하루)",
    ),
    "assets.scope_persona_day": Text(
        "the persona's budget for today (UTC day)", "페르소나의 오늘 예산 (UTC 기준 하루)"
    ),
    "assets.budget_not_usd": Text(
        "{what} must be an amount in US dollars such as 2 or 0.50, not {value}",
        "{what}은(는) 2나 0.50 같은 미국 달러 금액이어야 합니다 ({value}은(는) 쓸 수 없습니다)",
    ),
    "assets.budget_not_positive": Text(
        "{what} must be more than $0, not {value}",
        "{what}은(는) $0보다 커야 합니다 ({value}은(는) 쓸 수 없습니다)",
    ),
    "assets.budget_too_large": Text(
        "{what} must be at most ${most}, not {value}",
        "{what}은(는) ${most} 이하여야 합니다 ({value}은(는) 쓸 수 없습니다)",
    ),
    "assets.budget_unknown_scope": Text(
        "unknown budget scope {value}: use one of {scopes}",
        "알 수 없는 예산 범위 {value}입니다: {scopes} 중 하나를 쓰세요",
    ),
    "assets.budget_unknown_policy": Text(
        "unknown budget policy {value}: use one of {policies}",
        "알 수 없는 예산 정책 {value}입니다: {policies} 중 하나를 쓰세요",
    ),
    "assets.budget_gate": Text(
        "{scope} of {cap} is reached: {spent} spent, and the next model call may cost up "
        "to {needed}",
        "{scope} {cap}에 도달했습니다: {spent}을(를) 썼고, 다음 모델 호출에 최대 {needed}이(가) "
        "들 수 있습니다",
    ),
    # Prices.
    "assets.price_list_unreadable": Text(
        "cannot read OpenRouter's price list at {url} ({why}); the cached prices stay "
        "as they were (check the network, or MDA_OPENROUTER_BASE_URL)",
        "{url}에서 OpenRouter 가격 목록을 읽을 수 없습니다 ({why}). 캐시된 가격은 그대로 "
        "둡니다 (네트워크나 MDA_OPENROUTER_BASE_URL을 확인하세요)",
    ),
    "assets.price_answer_not_json": Text("the answer is not JSON", "응답이 JSON이 아닙니다"),
    "assets.price_answer_no_list": Text(
        "the answer has no model list", "응답에 모델 목록이 없습니다"
    ),
    "assets.shipped_prices_invalid": Text(
        "assets/{file} is invalid: {problem}", "assets/{file}이(가) 올바르지 않습니다: {problem}"
    ),
    "assets.user_prices_not_list": Text(
        "{path} must be a list of prices (- model: ..., input: ...)",
        "{path}은(는) 가격 목록이어야 합니다 (- model: ..., input: ...)",
    ),
    "assets.user_prices_invalid": Text(
        "{path} is invalid: {problem} (fix the file or remove it)",
        "{path}이(가) 올바르지 않습니다: {problem} (파일을 고치거나 지우세요)",
    ),
    # Tokens and examples.
    "assets.encoding_missing": Text(
        "the {name} token encoding is missing: reinstall my-deepagent (it needs bpe-openai)",
        "{name} 토큰 인코딩이 없습니다: my-deepagent를 다시 설치하세요 (bpe-openai가 필요합니다)",
    ),
    "assets.no_example": Text(
        "no example named {name} (available: {available})",
        "{name}(이)라는 예제가 없습니다 (있는 예제: {available})",
    ),
    "assets.no_examples_here": Text(
        "none: run mda from a source checkout", "없음: 소스 체크아웃에서 mda를 실행하세요"
    ),
    "assets.example_folder_not_empty": Text(
        "{dest} is not an empty folder (pick a new folder for the example)",
        "{dest}은(는) 빈 폴더가 아닙니다 (예제를 둘 새 폴더를 고르세요)",
    ),
}
