"""Parser and checker: what the language accepts and every refusal, with its variable and position."""

import pytest
from django.utils import translation

from zhongfu.policies.engine import Catalogue, PolicyError, load_policy
from zhongfu.policies.engine.nodes import Binary, Lit, Ternary, Unary
from zhongfu.policies.engine.parser import parse

from .engine_helpers import params, policy_yaml


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def refused(variables, **extra) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        load_policy(policy_yaml(variables=variables, **extra))
    return caught.value


def test_precedence_follows_cel():
    tree = parse("1 + 2 * 3 < 10 && !false || a ? 1 : 2")
    assert isinstance(tree, Ternary)
    assert tree.cond.op == "||"
    assert tree.cond.left.op == "&&"
    assert tree.cond.left.left.op == "<"
    assert tree.cond.left.left.left.op == "+"
    assert tree.cond.left.left.left.right.op == "*"
    assert isinstance(tree.cond.left.right, Unary)


def test_ternary_is_right_associative_and_negative_literals_fold():
    tree = parse("a ? 1 : b ? -2 : 3.5")
    assert isinstance(tree.otherwise, Ternary)
    assert tree.otherwise.then == Lit(12, 14, -2, "int")
    assert tree.otherwise.otherwise.type == "double"


def test_positions_are_offsets_into_the_expression():
    tree = parse("size  >= 3")
    assert isinstance(tree, Binary)
    assert (tree.pos, tree.end) == (0, 10)
    assert (tree.right.pos, tree.right.end) == (9, 10)


def test_strings_are_data_with_escapes():
    assert parse('"a\\"b"').value == 'a"b'
    assert parse("'城镇'").value == "城镇"
    policy = load_policy(policy_yaml(variables={"odd": "area_type == \"__import__('os').system('rm -rf /')\""}))
    assert policy.variables["odd"].type == "bool"


def test_unknown_name_names_variable_column_and_close_match():
    error = refused({"income": "monthly_income", "income_test": "size > 0 && incme < 3"})
    assert error.variable == "income_test"
    assert error.position == 12 and error.column == 13 and error.line == 1
    assert "unknown name “incme” (did you mean “income”?)" in error.message
    assert str(error).startswith("policy dibao, variable income_test column 13: ")


def test_error_in_chinese_still_names_variable_and_position():
    error = refused({"income_test": "size > 0 && incme < 3"})
    with translation.override("zh-hans"):
        text = str(error)
    assert "income_test" in text and "13" in text and "incme" in text


def test_line_and_column_in_multi_line_expressions():
    error = refused({"x": {"expr": "size > 0 &&\n  nope"}})
    assert (error.line, error.column) == (2, 3)
    assert "line 2, column 3" in str(error)


@pytest.mark.parametrize(
    "expr, fragment, position",
    [
        ("__import__('os')", "names starting with “__”", 0),
        ("size.__class__", "names starting with “__”", 5),
        ("p.__class__", "names starting with “__”", 2),
        ("members.__len__()", "names starting with “__”", 8),
        ("__builtins__", "names starting with “__”", 0),
        ("size.real", "“size” has no attribute “real”", 5),
        ('"x".upper()', "methods can only be called on members", 4),
        ('eval("1")', "unknown function “eval”", 0),
        ("string(size)", "unknown function “string”", 0),
        ("mni(size, 2)", "unknown function “mni” (did you mean “min”?)", 0),
        ("min(size)", "min() takes 2 argument(s), not 1", 0),
        ("round(1.5, 2)", "round() takes 1 argument(s), not 2", 0),
        ("size in vehicles", "“in” needs a literal list", 8),
        ('size in [1, "a"]', "mixes strings and integers", 8),
        ("null == size", "there is no null literal", 0),
        ("[1, 2]", "a list is only allowed after “in”", 0),
        ("members", "members can only be used", 0),
        ("p", "p needs a parameter key", 0),
        ("size[0]", "indexing with [ ] is not supported", 4),
        ("size >", "the expression ends too early", 6),
        ("size > 1 1", "unexpected “1”", 9),
        ("size # 1", "unexpected character “#”", 5),
        ("'abc", "a string is not closed", 0),
        ("12abc", "not a number", 0),
        ("size / 0", "division by zero", 7),
    ],
)
def test_refusals(expr, fragment, position):
    error = refused({"x": expr})
    assert fragment in error.message
    assert error.variable == "x"
    assert error.position == position


@pytest.mark.parametrize(
    "expr, fragment",
    [
        ("members.exists(m, members.exists(n, n.age > 1))", "macros cannot be nested"),
        ("members.exists(m, size(members) > 1)", "macros cannot be nested"),
        ("sum(members.filter(m, m.age > 1).map(m, m.age))", "macros cannot be nested or chained"),
        ("size.exists(m, m.age > 1)", "methods can only be called on members"),
        ("members.filter(m, m.age > 1)", "must be followed by .size()"),
        ("members.map(m, m.age)", "must be inside sum"),
        ("members.exists(m, m.agee > 1)", "unknown member field “agee” (did you mean “age”?)"),
        ("members.exists(m, m.age > size)", "only member fields, parameters and literals"),
        ("members.exists(m, 100 / m.age > 1)", "divide only by literals or parameters"),
        ("members.exists(size, true)", "“size” is already a name"),
        ("members.exists(m, m)", "is a member: read one of its fields"),
        ("members.sort(m, m.age)", "members has no method “sort”"),
        ("sum(size)", "sum() takes members.map"),
    ],
)
def test_macro_refusals(expr, fragment):
    error = refused({"x": expr})
    assert fragment in error.message
    assert error.variable == "x" and error.position is not None


@pytest.mark.parametrize(
    "expr, fragment",
    [
        ("monthly_income + 1.5", "“+” mixes int and double: convert one side with double(…) or int(…)"),
        ("monthly_income / 2.0", "“/” mixes int and double"),
        ("round(size)", "round() takes a double; an integer needs no rounding"),
        ("size > 1 ? 1 : 2.0", "mixes int and double"),
        ('size > 1 ? 1 : "a"', "different types: int and string"),
        ("area_type < 1", "compares string with int"),
        ("size && true", "needs true/false, not int"),
        ("!size", "cannot be applied to int"),
        ("double(area_type)", "converts numbers, not string"),
        ("min(size, 1.5)", "mixes int and double"),
        ("2.5 % 2.0", "works on integers only"),
        ("area_type in [1, 2]", "compares string with a list of int"),
        ("size ? 1 : 2", "must be true/false, not int"),
        ("sum(members.map(m, m.sex))", "adds numbers, not string"),
        ("members.exists(m, m.age)", "must be true/false, not int"),
        ("true < false", "cannot order true/false"),
    ],
)
def test_type_errors_with_hints(expr, fragment):
    error = refused({"x": expr})
    assert fragment in error.message
    assert error.variable == "x" and error.position is not None


def test_types_are_inferred():
    policy = load_policy(
        policy_yaml(
            variables={
                "pci": {"expr": "monthly_income / size", "unit": "fen"},
                "ratio": "double(monthly_income) / double(size)",
                "flag": "pci < p.dibao.standard",
                "kind": "area_type",
                "old": "members.filter(m, m.age >= 60).size()",
                "incomes": "sum(members.map(m, m.monthly_income))",
                "rounded": "round(ratio * 1.5)",
                "ratio_param": {"expr": "p.marginal.ratio", "unit": "ratio"},
                "money_param": "p.dibao.standard",
            }
        )
    )
    types = {name: variable.type for name, variable in policy.variables.items()}
    assert types == {
        "pci": "int",
        "ratio": "double",
        "flag": "bool",
        "kind": "string",
        "old": "int",
        "incomes": "int",
        "rounded": "int",
        "ratio_param": "double",
        "money_param": "int",
        "eligible": "bool",
        "amount": "int",
    }


def test_depth_limit():
    error = refused({"x": _deep(13)})
    assert "more than 12 levels" in error.message
    load_policy(policy_yaml(variables={"x": _deep(11)}))
    # a long flat chain of && is one level
    load_policy(policy_yaml(variables={"x": " && ".join(["size > 1"] * 30)}))


def _deep(levels: int) -> str:
    text = "size"
    for _ in range(levels - 1):
        text = f"min({text}, 1)"
    return text


def test_parser_survives_absurd_nesting():
    error = refused({"x": "(" * 200 + "1" + ")" * 200})
    assert "nested too deeply" in error.message


def test_length_limit():
    error = refused({"x": " + ".join(["size"] * 80)})
    assert "at most 500" in error.message and error.variable == "x"


def test_local_cycle_lists_the_cycle():
    error = refused({"a": "b + 1", "b": "c + 1", "c": "a + 1"})
    assert "cycle: a → b → c → a" in error.message
    assert error.variable == "c" and error.position == 0


def test_policy_shape_rules():
    with pytest.raises(PolicyError, match="“amount” must be an integer"):
        load_policy(policy_yaml(variables={"amount": "1.5"}))
    with pytest.raises(PolicyError, match="“eligible” must be true/false"):
        load_policy(policy_yaml(variables={"eligible": "1"}))
    with pytest.raises(PolicyError, match="already a name"):
        load_policy(policy_yaml(variables={"size": "1"}))
    with pytest.raises(PolicyError, match="criterion “x” is not true/false"):
        load_policy(policy_yaml(variables={"x": "1"}, criteria=["x"]))
    with pytest.raises(PolicyError, match="“source” is required"):
        load_policy(policy_yaml(source=""))
    with pytest.raises(PolicyError, match="“deciding_level” must be one of"):
        load_policy(policy_yaml(deciding_level="village"))
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy("code: [")
    with pytest.raises(PolicyError, match="lower-case identifier"):
        load_policy(policy_yaml(code="Dibao"))


def test_policy_definition_fields():
    text = policy_yaml(
        variables={"x": {"expr": "size", "label": {"zh": "人口", "en": "people"}, "unit": "count"}},
        displaced_by=["other"],
        period="one_off",
        notes="kept",
    )
    policy = load_policy(text)
    assert policy.code == "dibao" and policy.name["en"] == "policy dibao"
    assert policy.displaced_by == ("other",) and policy.period == "one_off"
    assert policy.metadata == {"notes": "kept"}
    assert policy.variables["x"].label == {"zh": "人口", "en": "people"}
    assert policy.variables["amount"].unit == "fen"
    assert len(policy.version_hash) == 64


def _two(a_vars, b_vars, **b_extra):
    return [load_policy(policy_yaml("a", a_vars)), load_policy(policy_yaml("b", b_vars, **b_extra))]


def test_cross_policy_references_are_checked_by_the_catalogue():
    policies = _two({"pci": "monthly_income / size"}, {"eligible": "a.eligible && a.pci < 100"})
    catalogue = Catalogue(policies)
    assert catalogue.policies["b"].variables["eligible"].type == "bool"
    with pytest.raises(PolicyError) as caught:
        Catalogue(_two({"pci": "1"}, {"x": "size > 0 && a.pcj > 1"}))
    assert "policy “a” has no variable “pcj” (did you mean “pci”?)" in caught.value.message
    assert (caught.value.policy, caught.value.variable, caught.value.position) == ("b", "x", 12)
    with pytest.raises(PolicyError, match="unknown policy “c”"):
        Catalogue(_two({}, {"x": "c.eligible"}))
    with pytest.raises(PolicyError, match="unknown policy “zz”"):
        Catalogue(_two({}, {}, displaced_by=["zz"]))
    with pytest.raises(PolicyError, match="has the name of a policy"):
        Catalogue(_two({"b": "1"}, {}))
    with pytest.raises(PolicyError, match="mixes int and double"):
        Catalogue(_two({"r": "1.5"}, {"x": "1 + a.r"}))


def test_cycles_across_policies():
    with pytest.raises(PolicyError) as caught:
        Catalogue(_two({"x": "b.y + 1"}, {"y": "a.x + 1"}))
    assert "cycle: " in caught.value.message
    assert "a.x → b.y → a.x" in caught.value.message or "b.y → a.x → b.y" in caught.value.message
    with pytest.raises(PolicyError) as caught:
        Catalogue(_two({"eligible": "b.eligible"}, {}, displaced_by=["a"]))
    assert "b.outcome" in caught.value.message and "a.outcome" in caught.value.message
    with pytest.raises(PolicyError, match="cycle"):
        Catalogue(
            [load_policy(policy_yaml("a", displaced_by=["b"])), load_policy(policy_yaml("b", displaced_by=["a"]))]
        )


def test_plan_checks_parameters():
    good = Catalogue([load_policy(policy_yaml(variables={"x": "monthly_income < p.dibao.standard"}))])
    good.plan(params())
    missing = Catalogue([load_policy(policy_yaml(variables={"x": "size > 0 && monthly_income < p.dibao.standrd"}))])
    with pytest.raises(PolicyError) as caught:
        missing.plan(params())
    assert "no value of parameter “dibao.standrd” is in force (did you mean “dibao.standard”?)" in caught.value.message
    assert (caught.value.policy, caught.value.variable, caught.value.position) == ("dibao", "x", 29)
    mismatch = Catalogue([load_policy(policy_yaml(variables={"x": "monthly_income * p.marginal.ratio"}))])
    with pytest.raises(PolicyError, match="mixes int and double"):
        mismatch.plan(params())
    ratio_amount = Catalogue([load_policy(policy_yaml(variables={"amount": "p.marginal.ratio"}))])
    with pytest.raises(PolicyError, match="“amount” must be an integer"):
        ratio_amount.plan(params())


def test_catalogue_hash_depends_on_every_policy():
    one = Catalogue(_two({}, {}))
    two = Catalogue(_two({"x": "1"}, {}))
    assert one.version_hash != two.version_hash
    assert one.version_hash == Catalogue(reversed(_two({}, {}))).version_hash
