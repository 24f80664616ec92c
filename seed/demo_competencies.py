"""Demo competencies: two frameworks written for Stride's demo, and a role map
for every demo position. Loaded through the same writer as a workbook import."""

from __future__ import annotations

import random

from sqlmodel import Session

from core.competencies import write_framework_bundle
from core.competencies.files import (
    CompetencySpec,
    DescriptorSpec,
    FrameworkBundle,
    RequirementSpec,
    ScaleSpec,
    ScaleValueSpec,
)
from seed.org import POSITIONS, Progress

BEHAVIOUR_SCALE = ScaleSpec(
    "Behaviour levels",
    "How consistently and how widely someone shows a behaviour.",
    (
        ScaleValueSpec("Developing", 1, False, True),
        ScaleValueSpec("Capable", 2, True, False),
        ScaleValueSpec("Skilled", 3, True, False),
        ScaleValueSpec("Role model", 4, True, False),
    ),
)
SKILL_SCALE = ScaleSpec(
    "Skill levels",
    "Depth of a technical skill, from first exposure to setting the standard.",
    (
        ScaleValueSpec("Awareness", 1, False, True),
        ScaleValueSpec("Working knowledge", 2, False, False),
        ScaleValueSpec("Practitioner", 3, True, False),
        ScaleValueSpec("Expert", 4, True, False),
    ),
)

# code, cluster code, name, description, four level descriptors (lowest first)
_BEHAVIOURS: list[tuple[str, str, str, str, tuple[str, str, str, str]]] = [
    (
        "CB-COLLAB",
        "CB-PEOPLE",
        "Collaboration",
        "Works with others towards shared outcomes rather than personal credit.",
        (
            "Helps teammates when asked and shares what they know.",
            "Offers help unprompted and keeps others informed of their work.",
            "Brings people from different teams together to solve shared problems.",
            "Builds a culture where teams seek each other out and share wins.",
        ),
    ),
    (
        "CB-COMMS",
        "CB-PEOPLE",
        "Clear communication",
        "Says and writes things so that others understand and can act.",
        (
            "Explains their own work clearly when asked.",
            "Adapts messages to the audience and checks they were understood.",
            "Handles difficult conversations calmly and keeps them constructive.",
            "Sets the tone for open, honest communication across the organisation.",
        ),
    ),
    (
        "CB-OWN",
        "CB-RESULTS",
        "Ownership",
        "Takes responsibility for outcomes, not just tasks.",
        (
            "Finishes assigned work and flags problems early.",
            "Follows work through to the outcome and fixes what they find.",
            "Takes on ambiguous problems and sees them through without being chased.",
            "Holds the wider organisation to high standards of accountability.",
        ),
    ),
    (
        "CB-CUST",
        "CB-RESULTS",
        "Customer focus",
        "Keeps the people we serve at the centre of decisions.",
        (
            "Knows who their work is for and what they need.",
            "Asks for customer feedback and acts on it.",
            "Shapes priorities around evidence of customer value.",
            "Champions the customer's voice in strategy and trade-offs.",
        ),
    ),
    (
        "CB-LEARN",
        "CB-GROWTH",
        "Learning agility",
        "Learns quickly from experience and from others.",
        (
            "Takes part in learning offered to them.",
            "Seeks feedback and turns it into visible change.",
            "Experiments with new approaches and shares what worked.",
            "Creates room for others to learn, including from failure.",
        ),
    ),
    (
        "CB-LEAD",
        "CB-GROWTH",
        "Leading others",
        "Gives people direction, support and room to grow.",
        (
            "Supports newer colleagues informally.",
            "Coaches others and gives timely, specific feedback.",
            "Leads a team to clear goals and develops each member.",
            "Develops leaders and aligns several teams behind one direction.",
        ),
    ),
]
_BEHAVIOUR_CLUSTERS = [
    ("CB-PEOPLE", "Working with people", "How we treat and work with each other."),
    ("CB-RESULTS", "Delivering results", "How we turn intentions into outcomes."),
    ("CB-GROWTH", "Growing ourselves and others", "How we keep getting better."),
]

_SKILLS: list[tuple[str, str, str, str]] = [
    ("TS-DESIGN", "TSG-ENG", "Software design", "Shapes code and systems that are easy to change."),
    ("TS-TEST", "TSG-ENG", "Testing and quality", "Prevents defects and proves that things work."),
    ("TS-CLOUD", "TSG-ENG", "Cloud and infrastructure", "Runs services reliably and cheaply."),
    ("TS-DATA", "TSG-DATA", "Data analysis", "Turns data into findings people can act on."),
    ("TS-SQL", "TSG-DATA", "SQL and data modelling", "Stores and queries data correctly and fast."),
    ("TS-TROUBLE", "TSG-SUPPORT", "Troubleshooting", "Finds the cause of a fault methodically."),
    ("TS-SERVICE", "TSG-SUPPORT", "Service management", "Keeps requests and incidents flowing."),
    ("TS-SEC", "TSG-SUPPORT", "Security hygiene", "Protects people, devices and data day to day."),
]
_SKILL_CLUSTERS = [
    ("TSG-ENG", "Engineering", "Building and running software."),
    ("TSG-DATA", "Data", "Working with data."),
    ("TSG-SUPPORT", "Support and operations", "Keeping colleagues productive and safe."),
]
_SKILL_LEVEL_WORDS = (
    "Knows what {skill} involves and when to ask for help.",
    "Handles routine {skill} tasks with some guidance.",
    "Handles {skill} independently, including unusual cases.",
    "Sets the standard for {skill} and teaches it to others.",
)

# Technical skill requirements by position: code -> {skill: (level rank, critical)}
_SKILL_MAP: dict[str, dict[str, tuple[int, bool]]] = {
    "DA": {"TS-DATA": (3, True), "TS-SQL": (3, True), "TS-TEST": (2, False), "TS-SEC": (2, False)},
    "ITS": {
        "TS-TROUBLE": (3, True),
        "TS-SERVICE": (3, False),
        "TS-SEC": (3, True),
        "TS-CLOUD": (2, False),
    },
    "SE": {
        "TS-DESIGN": (2, False),
        "TS-TEST": (3, True),
        "TS-CLOUD": (2, False),
        "TS-SQL": (2, False),
    },
    "SSE": {
        "TS-DESIGN": (3, True),
        "TS-TEST": (3, False),
        "TS-CLOUD": (3, False),
        "TS-SQL": (3, False),
    },
    "EM": {"TS-DESIGN": (3, False), "TS-TEST": (2, False), "TS-CLOUD": (2, False)},
    "PD": {"TS-DATA": (2, False), "TS-TEST": (2, False)},
}


def _behaviour_rank(grade: int, code: str) -> int:
    if code == "CB-LEAD":
        return 1 if grade < 6 else 2 if grade < 8 else 3 if grade < 10 else 4
    return 1 if grade < 4 else 2 if grade < 6 else 3 if grade < 9 else 4


def core_behaviours_bundle() -> FrameworkBundle:
    levels = [v.name for v in BEHAVIOUR_SCALE.values]
    competencies = [
        CompetencySpec(c, None, n, "cluster", None, d) for c, n, d in _BEHAVIOUR_CLUSTERS
    ]
    competencies += [CompetencySpec(c, k, n, "core", None, d) for c, k, n, d, _ in _BEHAVIOURS]
    descriptors = [
        DescriptorSpec(code, levels[i], text)
        for code, _, _, _, texts in _BEHAVIOURS
        for i, text in enumerate(texts)
    ]
    requirements = [
        RequirementSpec(
            position,
            title,
            code,
            levels[_behaviour_rank(grade, code) - 1],
            critical=(code == "CB-LEAD" and grade >= 7)
            or (code == "CB-CUST" and family == "Customer service"),
        )
        for position, title, family, grade in sorted(POSITIONS)
        for code, *_ in _BEHAVIOURS
    ]
    return FrameworkBundle(
        code="CORE",
        name="Core behaviours",
        source="stride",
        description="How everyone at Northwind works, whatever their role.",
        scale_name=BEHAVIOUR_SCALE.name,
        scales=(BEHAVIOUR_SCALE,),
        competencies=tuple(competencies),
        descriptors=tuple(descriptors),
        requirements=tuple(requirements),
    )


def technical_skills_bundle() -> FrameworkBundle:
    levels = [v.name for v in SKILL_SCALE.values]
    competencies = [CompetencySpec(c, None, n, "cluster", None, d) for c, n, d in _SKILL_CLUSTERS]
    competencies += [CompetencySpec(c, k, n, "skill", None, d) for c, k, n, d in _SKILLS]
    descriptors = [
        DescriptorSpec(code, levels[i], words.format(skill=name.lower()))
        for code, _, name, _ in _SKILLS
        for i, words in enumerate(_SKILL_LEVEL_WORDS)
    ]
    titles = {code: title for code, title, _, _ in POSITIONS}
    order = [c for c, *_ in _SKILLS]
    requirements = [
        RequirementSpec(position, titles[position], skill, levels[rank - 1], critical)
        for position in sorted(_SKILL_MAP)
        for skill, (rank, critical) in sorted(
            _SKILL_MAP[position].items(), key=lambda item: order.index(item[0])
        )
    ]
    return FrameworkBundle(
        code="TECH",
        name="Technical skills",
        source="stride",
        description="Skills for Technology & support roles and the engineers who work with them.",
        scale_name=SKILL_SCALE.name,
        scales=(SKILL_SCALE,),
        competencies=tuple(competencies),
        descriptors=tuple(descriptors),
        requirements=tuple(requirements),
    )


def seed_competencies(session: Session) -> None:
    write_framework_bundle(session, core_behaviours_bundle())
    write_framework_bundle(session, technical_skills_bundle())


def generated_skills_bundle(
    rng: random.Random, *, clusters: int = 8, per_cluster: int = 10
) -> FrameworkBundle:
    """A larger framework for benchmarks: `clusters` × `per_cluster` skills and
    a random role map over every position."""
    levels = [v.name for v in SKILL_SCALE.values]
    competencies: list[CompetencySpec] = []
    skills: list[str] = []
    for k in range(1, clusters + 1):
        cluster = f"GS-{k:02d}"
        competencies.append(CompetencySpec(cluster, None, f"Skill area {k}", "cluster", None, ""))
        for n in range(1, per_cluster + 1):
            code = f"{cluster}-{n:02d}"
            skills.append(code)
            competencies.append(
                CompetencySpec(
                    code, cluster, f"Skill {k}.{n}", "skill", None, f"Generated skill {k}.{n}."
                )
            )
    requirements = [
        RequirementSpec(position, title, skill, rng.choice(levels), rng.random() < 0.1)
        for position, title, _, _ in sorted(POSITIONS)
        for skill in sorted(rng.sample(skills, min(12, len(skills))), key=skills.index)
    ]
    descriptors = [
        DescriptorSpec(code, level, f"{level} in {code}.") for code in skills for level in levels
    ]
    return FrameworkBundle(
        code="GEN-SKILLS",
        name="Generated skills",
        source="stride",
        description="A generated framework for load trials.",
        scale_name=SKILL_SCALE.name,
        scales=(SKILL_SCALE,),
        competencies=tuple(competencies),
        descriptors=tuple(descriptors),
        requirements=tuple(requirements),
    )


def generate_competencies(session: Session, rng: random.Random, progress: Progress) -> None:
    progress("Competency frameworks", 0.0)
    seed_competencies(session)
    write_framework_bundle(session, generated_skills_bundle(rng), progress=progress)
    progress("Competency frameworks", 1.0)
