"""Forms for planning cohorts, their sessions and status changes."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

NO_COMMUNITY = 0


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SessionRowForm(Form):
    """One proposed session inside the planning form (the parent form carries the CSRF token)."""

    date = DateField(_l("Date"), validators=[DataRequired()])
    starts_at = TimeField(_l("Starts"), validators=[DataRequired()])
    ends_at = TimeField(_l("Ends"), validators=[DataRequired()])
    module_ids = MultiCheckboxField(_l("Modules"), coerce=int, validate_choice=False)
    venue = StringField(_l("Other venue"), validators=[Optional(), Length(max=255)])
    remove = BooleanField(_l("Leave out"))


class CohortForm(FlaskForm):
    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired()])
    lead_trainer_id = SelectField(
        _l("Lead trainer"),
        coerce=int,
        validate_choice=False,
        description=_l("Trainers accredited for the course on the first day."),
    )
    co_trainer_ids = MultiCheckboxField(_l("Co-trainers"), coerce=int, validate_choice=False)
    district_id = SelectField(_l("District"), coerce=int, validators=[DataRequired()])
    community_id = SelectField(_l("Community (optional)"), coerce=int, validate_choice=False)
    venue = StringField(
        _l("Venue"),
        validators=[DataRequired(), Length(max=255)],
        description=_l("Institution, street address and room."),
    )
    start_date = DateField(_l("First day"), validators=[DataRequired()])
    end_date = DateField(
        _l("Last day"), validators=[Optional()], description=_l("Empty: as many days as the course has.")
    )
    # InputRequired, not DataRequired: 0 is an answer to correct ("at least 1"), not a blank.
    capacity = IntegerField(
        _l("Places"),
        default=25,
        validators=[
            InputRequired(_l("Enter the number of places.")),
            NumberRange(min=1, message=_l("A training needs at least 1 place.")),
            NumberRange(max=1000, message=_l("Places: at most %(n)d.", n=1000)),
        ],
    )
    notes = TextAreaField(_l("Notes for the team"), validators=[Optional(), Length(max=5000)])
    sessions = FieldList(FormField(SessionRowForm))

    def cohort_values(self) -> dict:
        """The cohort's fields as the service takes them."""
        return {
            "course_id": self.course_id.data,
            "lead_trainer_id": self.lead_trainer_id.data,
            "co_trainer_ids": list(self.co_trainer_ids.data or []),
            "district_id": self.district_id.data,
            "community_id": self.community_id.data or None,
            "venue": self.venue.data,
            "start_date": self.start_date.data,
            "end_date": self.end_date.data,
            "capacity": self.capacity.data,
            "notes": self.notes.data or "",
        }

    def session_values(self) -> list[dict]:
        """The session rows the planner kept."""
        return [
            {
                "date": row.date.data,
                "starts_at": row.starts_at.data,
                "ends_at": row.ends_at.data,
                "module_ids": list(row.module_ids.data or []),
                "venue": row.venue.data or "",
            }
            for row in self.sessions
            if not row.remove.data
        ]


class SessionForm(FlaskForm):
    date = DateField(_l("Date"), validators=[DataRequired()])
    starts_at = TimeField(_l("Starts"), validators=[DataRequired()])
    ends_at = TimeField(_l("Ends"), validators=[DataRequired()])
    module_ids = MultiCheckboxField(_l("Modules"), coerce=int, validate_choice=False)
    venue = StringField(
        _l("Other venue"),
        validators=[Optional(), Length(max=255)],
        description=_l("Empty: the training's venue."),
    )

    def values(self) -> dict:
        return {
            "date": self.date.data,
            "starts_at": self.starts_at.data,
            "ends_at": self.ends_at.data,
            "module_ids": list(self.module_ids.data or []),
            "venue": self.venue.data or "",
        }


class CancelForm(FlaskForm):
    cancelled_reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Give the reason for cancelling.")), Length(max=2000)],
        description=_l("Everyone enrolled or on the waiting list receives it by email."),
    )
