"""The checkup's score tells the truth: the review's cases, run through the pure engine on the shipped content.

Answers are picked by their French label, so a reworded answer fails loudly here rather than silently
testing another path. Endings are recognised by the node's own text, not by copies of it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import yaml

from bot.app import check_content
from bot.core.dialogue import Content, build_advice, build_dialogue
from bot.core.engine import Ask, ClearChat, Command, Pick, Result, Say, State, Step, step
from bot.core.profile import Profile
from bot.storage import Store

MINI_LOCALES = Path(__file__).parent / "fixtures" / "mini" / "locales"

# The best answer to each checkup question, by node id.
BEST = {
    "intro": "C'est parti",
    "manager": "Dans un gestionnaire",
    "reuse": "Jamais, un par site",
    "email_password": "Oui, long et unique",
    "twofa": "Oui, sur ma boîte mail",
    "twofa_method": "Une clé d'accès ou une clé de sécurité",
    "updates": "Automatiques",
    "backups": "Sauvegardés automatiquement",
    "screen_lock": "Un code de 6 chiffres ou plus",
    "recovery": "Oui, tout est à jour",
    "breaches": "Non, pas à ma connaissance",
    "apps": "Non, rien de tout ça",
    "remind_mail": "Non merci",  # after the result: the reminder offer
    "remind_review": "Non merci",
}


@dataclass
class Run:
    steps: list[Step]

    @property
    def outputs(self) -> list[object]:
        return [output for result in self.steps for output in result.outputs]

    @property
    def result(self) -> Result | None:
        results = [o for o in self.outputs if isinstance(o, Result)]
        return results[-1] if results else None

    def said(self, text: str | None) -> bool:
        return any(isinstance(o, Say | Ask) and o.text == text for o in self.outputs)


def checkup(content: Content, **answers: str) -> Run:
    """Run the checkup, answering each question with `answers[node]` or else its best answer (in France: the
    safety endings give the country's help lines, and a user who hasn't chosen one is asked first)."""
    state = State(profile=Profile(country="fr"))
    first = step(content, state, Command("checkup"))
    steps = [first]
    state = first.state
    for _ in range(30):
        if state.node is None:
            return Run(steps)
        node = content.dialogues["checkup"].nodes[state.node]
        label = answers[node.id] if node.id in answers else BEST[node.id]
        labels = [choice.label for choice in node.choices]
        assert label in labels, f"{node.id}: no answer {label!r} in {labels}"
        result = step(content, state, Pick(state.step, labels.index(label)))
        steps.append(result)
        state = result.state
    raise AssertionError("the checkup never ended")


def text_of(content: Content, node_id: str) -> str | None:
    return content.dialogues["checkup"].nodes[node_id].text


def test_best_answers_everywhere_is_great(shipped: Content) -> None:
    run = checkup(shipped)
    assert run.result is not None and run.result.score == 100
    assert run.said(text_of(shipped, "result_great"))


def test_a_watched_phone_gets_the_safety_ending_with_no_score_and_no_praise(shipped: Content) -> None:
    run = checkup(shipped, apps="Oui, je crois qu'on me surveille", safety_help="D'accord")
    assert run.result is None
    assert run.said(text_of(shipped, "safety")) and run.said(text_of(shipped, "safety_end"))
    praise = [text_of(shipped, node) for node in ("result_great", "result_ok", "result_gap", "result_start")]
    assert not any(run.said(text) for text in praise)
    assert all("{score}" not in (o.text or "") for o in run.outputs if isinstance(o, Say | Ask))


def test_unsure_about_the_phone_then_afraid_also_gets_the_safety_ending(shipped: Content) -> None:
    run = checkup(
        shipped, apps="Je sais pas trop", apps_unsure="J'ai peur que quelqu'un me surveille", safety_help="D'accord"
    )
    assert run.result is None and run.said(text_of(shipped, "safety"))


def test_the_safety_ending_warns_before_lock_down_and_offers_to_delete_the_chat(shipped: Content) -> None:
    run = checkup(
        shipped,
        apps="Oui, je crois qu'on me surveille",
        safety_help="Effacer cette conversation",
        delete_info="Efface les messages",
    )
    safety = text_of(shipped, "safety") or ""
    assert "prévenir" in safety and "plan" in safety
    assert run.said(text_of(shipped, "delete_info"))
    assert any(isinstance(o, ClearChat) for s in run.steps for o in s.outputs)  # the button deletes the chat
    assert "48 heures" in (text_of(shipped, "delete_info") or "")


def test_the_phone_question_says_this_chat_may_be_read_too(shipped: Content) -> None:
    assert "lire cette conversation" in (text_of(shipped, "apps") or "")


def test_no_screen_lock_and_everything_else_best_is_not_great(shipped: Content) -> None:
    run = checkup(shipped, screen_lock="Rien, il s'ouvre direct")
    assert run.result is not None
    assert run.result.score >= 80  # the score alone would say "great"...
    assert not run.said(text_of(shipped, "result_great"))  # ...but a critical control is at 0
    assert run.said(text_of(shipped, "result_gap"))
    assert run.result.actions[0].id == "screen-lock"


def test_reuse_shared_email_password_and_no_2fa_is_a_low_score_without_good_bases(shipped: Content) -> None:
    run = checkup(
        shipped, reuse="Ouais, un peu partout", email_password="Il sert aussi ailleurs", twofa="Non, ou je sais pas"
    )
    assert run.result is not None
    assert run.result.score < 50
    assert not run.said(text_of(shipped, "result_ok"))  # "Y'a de bonnes bases"
    assert run.said(text_of(shipped, "result_start"))


def test_no_lock_no_2fa_and_reuse_puts_the_screen_lock_in_the_top_3(shipped: Content) -> None:
    run = checkup(
        shipped, screen_lock="Rien, il s'ouvre direct", twofa="Non, ou je sais pas", reuse="Ouais, un peu partout"
    )
    assert run.result is not None
    assert "screen-lock" in [a.id for a in run.result.actions]


def test_a_4_digit_code_ranks_the_screen_lock_lower_than_no_lock_at_all(shipped: Content) -> None:
    answers = {"twofa": "Non, ou je sais pas", "reuse": "Ouais, un peu partout"}
    no_lock = checkup(shipped, screen_lock="Rien, il s'ouvre direct", **answers)
    four_digits = checkup(shipped, screen_lock="4 chiffres ou un schéma", **answers)
    assert no_lock.result is not None and four_digits.result is not None
    assert "screen-lock" in [a.id for a in no_lock.result.actions]
    assert "screen-lock" not in [a.id for a in four_digits.result.actions]


def test_change_the_leaked_password_comes_before_turning_on_2fa(shipped: Content) -> None:
    run = checkup(shipped, breaches="Oui, mais j'ai rien fait", twofa="Non, ou je sais pas")
    assert run.result is not None
    ids = [a.id for a in run.result.actions]
    assert ids.index("breach-change") < ids.index("email-2fa")


def test_a_known_leak_left_alone_is_a_critical_gap(shipped: Content) -> None:
    run = checkup(shipped, breaches="Oui, mais j'ai rien fait")
    assert not run.said(text_of(shipped, "result_great"))


def test_not_knowing_about_leaks_scores_no_less_than_not_that_i_know(shipped: Content) -> None:
    honest = checkup(shipped, breaches="Je sais pas")
    guess = checkup(shipped, breaches="Non, pas à ma connaissance")
    assert honest.result is not None and guess.result is not None
    assert honest.result.score >= guess.result.score


def test_2fa_elsewhere_but_not_on_the_email_is_a_critical_gap_with_no_bam_and_no_great(shipped: Content) -> None:
    run = checkup(shipped, twofa="Ailleurs, pas sur mes mails")
    assert run.result is not None
    assert "twofa" in run.steps[-1].state.gaps
    assert not run.said(text_of(shipped, "result_great"))
    said = [o.text or "" for o in run.outputs if isinstance(o, Say | Ask)]
    assert not any("Bam" in text for text in said), said


ALMOST_EVERYTHING_SOLID = 80  # the least score that result_gap ("Sur presque tout, c'est carré") may say

# Each risky profile, and the one ending that may praise it: none may read "great", and "almost everything
# is solid" (result_gap) only from a score that deserves it.
RISKY = [
    {"twofa": "Ailleurs, pas sur mes mails"},
    {"twofa": "Non, ou je sais pas"},
    {"screen_lock": "Rien, il s'ouvre direct"},
    {"email_password": "Il sert aussi ailleurs"},
    {"reuse": "Ouais, un peu partout"},
    {"breaches": "Oui, mais j'ai rien fait"},
    {
        "screen_lock": "Rien, il s'ouvre direct",
        "updates": "Je repousse tant que je peux",
        "backups": "Ils coulent avec",
    },
    {"twofa": "Ailleurs, pas sur mes mails", "recovery": "Aucune idée", "manager": "Dans ma tête"},
]


@pytest.mark.parametrize("answers", RISKY, ids=lambda a: "+".join(a))
def test_a_risky_profile_is_never_praised(shipped: Content, answers: dict[str, str]) -> None:
    run = checkup(shipped, **answers)
    assert run.result is not None
    assert not run.said(text_of(shipped, "result_great"))
    if run.said(text_of(shipped, "result_gap")):  # "Sur presque tout, c'est carré"
        assert run.result.score >= ALMOST_EVERYTHING_SOLID


def test_a_gap_with_a_middling_score_is_not_almost_everything_solid(shipped: Content) -> None:
    run = checkup(
        shipped,
        screen_lock="Rien, il s'ouvre direct",
        updates="Je repousse tant que je peux",
        backups="Ils coulent avec",
    )
    assert run.result is not None and run.result.score < ALMOST_EVERYTHING_SOLID
    assert not run.said(text_of(shipped, "result_gap"))
    assert run.said(text_of(shipped, "result_start"))


def _reminder_days(content: Content, node_id: str) -> list[int]:
    node = content.dialogues["checkup"].nodes[node_id]
    return [int(call.args["every_days"]) for choice in node.choices for call in choice.actions if call.name == "remind"]


@pytest.mark.parametrize(
    "answers",
    [
        {"email_password": "Unique, mais plutôt court"},
        {"email_password": "Il sert aussi ailleurs"},
        {"twofa": "Ailleurs, pas sur mes mails"},
    ],
    ids=lambda a: "+".join(a),
)
def test_a_weak_email_gets_its_reminder_in_days_not_months(shipped: Content, answers: dict[str, str]) -> None:
    run = checkup(shipped, **answers)
    remind_mail = text_of(shipped, "remind_mail")
    assert run.said(remind_mail)
    assert _reminder_days(shipped, "remind_mail") and all(days <= 7 for days in _reminder_days(shipped, "remind_mail"))


def test_passkeys_rank_above_app_codes_which_rank_above_sms(shipped: Content) -> None:
    scores = [
        checkup(shipped, twofa_method=label).result
        for label in ("Une clé d'accès ou une clé de sécurité", "Une appli d'authentification", "Par SMS")
    ]
    assert all(r is not None for r in scores)
    values = [r.score for r in scores if r is not None]
    assert values[0] > values[1] > values[2]


# --- the format: weights, an answer's priority, critical gaps (on a small dialogue of its own) ---------
QUIZ = """
dialogue: quiz
title: "Quiz"
start: light
nodes:
  light:
    text: "Q1"
    choices:
      - {label: "bien", points: 10, goto: heavy}
      - {label: "bof", points: 0, advice: [a], goto: heavy}
  heavy:
    text: "Q2"
    weight: 3
    critical: true
    choices:
      - {label: "bien", points: 10, goto: route}
      - {label: "rien", points: 0, advice: [{id: b, priority: 1}], goto: route}
      - {label: "un peu", points: 5, advice: [b], goto: route}
  route:
    branch:
      - {when: {critical_gap: true}, goto: gap}
      - {when: {score_at_least: 80, critical_gap: false}, goto: great}
      - goto: meh
  gap: {text: "gap", result: true, end: true}
  great: {text: "great", result: true, end: true}
  meh: {text: "meh", result: true, end: true}
"""
ADVICE = """
advice:
  a: {priority: 10, title: "A", how: "a", source: "https://example.org/a"}
  b: {priority: 20, title: "B", how: "b", source: "https://example.org/b"}
"""


@pytest.fixture(scope="module")
def quiz() -> Content:
    dialogue = build_dialogue(yaml.safe_load(QUIZ))
    return Content({"quiz": dialogue}, build_advice(yaml.safe_load(ADVICE)), {}, {"quiz": "quiz"})


def test_the_schema_and_check_accept_weights_priorities_and_gaps(tmp_path: Path) -> None:
    (tmp_path / "quiz.yaml").write_text(QUIZ, encoding="utf-8")
    (tmp_path / "advice.yaml").write_text(ADVICE, encoding="utf-8")
    _, problems = check_content(tmp_path, MINI_LOCALES)
    assert problems and all("no English translation" in p.message for p in problems), problems


def play(content: Content, *indexes: int) -> Run:
    result = step(content, State(), Command("quiz"))
    steps = [result]
    for index in indexes:
        result = step(content, result.state, Pick(result.state.step, index))
        steps.append(result)
    return Run(steps)


def test_a_weight_counts_a_question_that_many_times(quiz: Content) -> None:
    run = play(quiz, 1, 0)  # 0/10 on the light one, 10/10 on the heavy one (weight 3)
    assert run.steps[-1].state.points == 30 and run.steps[-1].state.max_points == 40
    assert run.result is not None and run.result.score == 75


def test_a_zero_on_a_critical_question_is_a_gap_whatever_the_score(quiz: Content) -> None:
    run = play(quiz, 0, 1)
    assert run.steps[-1].state.gaps == ("heavy",)
    assert run.said("gap")
    assert play(quiz, 0, 2).steps[-1].state.gaps == ()  # 5 points is not 0


def test_an_answer_can_set_its_action_priority(quiz: Content) -> None:
    urgent = play(quiz, 1, 1)  # b at priority 1 beats a at 10
    assert urgent.result is not None and [a.id for a in urgent.result.actions] == ["b", "a"]
    usual = play(quiz, 1, 2)  # b at its catalogue priority 20
    assert usual.result is not None and [a.id for a in usual.result.actions] == ["a", "b"]


def test_state_stays_plain_data() -> None:
    state = State(priorities=(("b", 1),), gaps=("heavy",))
    assert all(isinstance(v, str | int) for pair in state.priorities for v in pair)
    assert all(isinstance(g, str) for g in state.gaps)


async def test_priorities_and_gaps_survive_a_save_and_a_load(store: Store) -> None:
    """Between two presses the service saves and reloads the State: a gap or a rank lost there lies in the result."""
    state = State(dialogue="checkup", node="recovery", advice=("screen-lock",), priorities=(("screen-lock", 11),))
    state = replace(state, gaps=("screen_lock",))
    await store.save(7, state)
    loaded = await store.load(7)
    assert loaded is not None
    assert loaded.priorities == state.priorities and loaded.gaps == state.gaps
