"""What the menu in base.html needs beyond permissions: whether the user keeps a unit's books."""


def menu(request) -> dict:
    from zhongfu.funds.services import can_keep_books

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"menu_funds": can_keep_books(user)}
