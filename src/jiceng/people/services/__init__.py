"""Every write to people: accounts, departments, grid workers, residents, and audited reveals of
personal information."""

from .residents import (
    RESIDENT_FIELDS,
    can_edit_resident,
    resident_create,
    resident_update,
    tag_token,
    tag_tokens,
)
from .reveal import PERSONAL_FIELDS, can_reveal, masked, personal_info_reveal
from .rules import (
    ELSEWHERE_LIMIT,
    ELSEWHERE_WINDOW,
    SECRET_FIELDS,
    can_edit_people_in,
    id_elsewhere_refusal,
    person_phone_error,
)
from .users import (
    ROLE_LEVEL,
    department_create,
    resident_account_create,
    user_create,
    user_set_active,
    user_set_role,
)
from .workers import (
    WORKER_EDIT_REFUSAL,
    WORKER_FIELDS,
    can_edit_worker,
    grid_worker_create,
    grid_worker_edit,
    grid_worker_set_grids,
    grid_worker_update,
)

__all__ = [
    "ELSEWHERE_LIMIT", "ELSEWHERE_WINDOW", "PERSONAL_FIELDS", "RESIDENT_FIELDS", "ROLE_LEVEL", "SECRET_FIELDS",
    "WORKER_EDIT_REFUSAL", "WORKER_FIELDS", "can_edit_people_in", "can_edit_resident",
    "can_edit_worker", "can_reveal", "department_create", "grid_worker_create", "grid_worker_edit",
    "grid_worker_set_grids", "grid_worker_update", "id_elsewhere_refusal", "masked", "person_phone_error", "personal_info_reveal",
    "resident_account_create", "resident_create", "resident_update", "tag_token", "tag_tokens", "user_create",
    "user_set_active", "user_set_role",
]
