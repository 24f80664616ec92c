"""The organisation skills-gap heatmap's summary of current levels.

`LevelSummary` counts, per unit, position, competency and level, the active
people *in that unit or any unit below it* whose current level of the
competency is that level. Every person counts once in each unit of their
chain (team, department, division, company), so an organisation heatmap's
rows (the parts of a chosen unit) are read straight from the rows of those
parts: a few thousand rows instead of the 185,000 current levels of 10,000
people. The required level is joined from the role map at read time, so
role-map edits do not touch it.

Kept in the writers' own transactions (core.assessments.summary): a rating
moves one person's count from the old level to the new in each unit of
their chain; moving, (de)activating or importing people moves their counts;
re-parenting units rebuilds it. Rows that fall to zero are deleted.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class LevelSummary(SQLModel, table=True):
    __tablename__ = "level_summary"

    unit_id: int = Field(foreign_key="orgunit.id", primary_key=True)
    position_id: int = Field(foreign_key="position.id", primary_key=True)
    competency_id: int = Field(foreign_key="competency.id", primary_key=True)
    value_id: int = Field(foreign_key="scalevalue.id", primary_key=True)
    people: int = Field(default=0)
