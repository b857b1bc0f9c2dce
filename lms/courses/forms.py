"""Forms for courses (with an ordered modules editor that works without JavaScript) and accreditation."""

from datetime import date
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import TextInput

from lms.accounts.forms import MultiCheckboxField

SPARE_MODULE_ROWS = 2


class HoursField(FloatField):
    """Hours as people write them: "1,5" as well as "1.5", shown without a trailing ".0" (a text
    box, since a number box refuses the decimal comma in some browsers)."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [valuelist[0].replace(",", ".").strip()]
        super().process_formdata(valuelist)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{self.data:g}"


class ModuleForm(Form):
    """One row of the modules editor; a row left entirely blank is ignored."""

    module_id = HiddenField()
    title = StringField(_l("Topic (Ukrainian)"), validators=[Optional(), Length(max=255)])
    title_en = StringField(_l("Topic (English)"), validators=[Optional(), Length(max=255)])
    hours = HoursField(_l("Hours"), validators=[Optional()])

    def is_blank(self) -> bool:
        return (
            not (self.title.data or "").strip()
            and not (self.title_en.data or "").strip()
            and (self.hours.data is None)
        )


class CourseForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=20)],
        description=_l("Short and unique, e.g. PTL-STATUS."),
    )
    title = StringField(_l("Title (Ukrainian)"), validators=[DataRequired(), Length(max=255)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=255)])
    description = TextAreaField(_l("Description (Ukrainian)"), validators=[Optional()])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional()])
    audience = StringField(_l("Audience (Ukrainian)"), validators=[Optional(), Length(max=255)])
    audience_en = StringField(_l("Audience (English)"), validators=[Optional(), Length(max=255)])
    days = IntegerField(_l("Days"), validators=[InputRequired()], default=1, description=_l("From 1 to 60."))
    is_tot = BooleanField(_l("Training of trainers (ToT)"))
    accredits_course_ids = MultiCheckboxField(
        _l("Graduates become accredited to deliver"),
        coerce=int,
        validators=[Optional()],
        description=_l("For ToT courses only."),
    )
    min_attendance_percent = IntegerField(
        _l("Minimum attendance, %"), validators=[InputRequired()], default=80
    )
    pass_mark_percent = IntegerField(_l("Post-test pass mark, %"), validators=[InputRequired()], default=70)
    certificate_text = TextAreaField(_l("Certificate text (Ukrainian)"), validators=[Optional()])
    certificate_text_en = TextAreaField(_l("Certificate text (English)"), validators=[Optional()])
    modules = FieldList(FormField(ModuleForm), min_entries=1)

    def set_module_rows(self, rows: list[dict]) -> None:
        """Replace the editor's rows with ``rows`` (dicts of module_id, title, title_en, hours)."""
        self.modules.entries = []
        self.modules.last_index = -1
        for row in rows:
            self.modules.append_entry(SimpleNamespace(**{**blank_module_row(), **row}))

    def module_rows(self) -> list[dict]:
        """The rows as submitted, blank ones included (the editor's own state)."""
        return [
            {
                "module_id": entry.form.module_id.data or "",
                "title": entry.form.title.data or "",
                "title_en": entry.form.title_en.data or "",
                "hours": entry.form.hours.data,
            }
            for entry in self.modules
        ]

    def course_values(self) -> dict:
        """What the course services take, blank module rows left out."""
        values = {
            name: getattr(self, name).data
            for name in (
                "code",
                "title",
                "title_en",
                "description",
                "description_en",
                "audience",
                "audience_en",
                "days",
                "is_tot",
                "min_attendance_percent",
                "pass_mark_percent",
                "certificate_text",
                "certificate_text_en",
            )
        }
        values["accredits_course_ids"] = (
            list(self.accredits_course_ids.data or []) if self.is_tot.data else []
        )
        values["modules"] = [
            {
                "id": int(entry.form.module_id.data) if (entry.form.module_id.data or "").isdigit() else None,
                "title": entry.form.title.data,
                "title_en": entry.form.title_en.data,
                "hours": entry.form.hours.data,
            }
            for entry in self.modules
            if not entry.form.is_blank()
        ]
        return values


def blank_module_row() -> dict:
    return {"module_id": "", "title": "", "title_en": "", "hours": None}


def apply_module_action(rows: list[dict], action: str) -> list[dict]:
    """The editor's buttons: "add", "remove-N", "up-N", "down-N" (N counts rows from 0)."""
    rows = list(rows)
    verb, _, index = action.partition("-")
    position = int(index) if index.isdigit() else -1
    if verb == "add":
        rows.append(blank_module_row())
    elif verb == "remove" and 0 <= position < len(rows):
        del rows[position]
    elif verb == "up" and 0 < position < len(rows):
        rows[position - 1], rows[position] = rows[position], rows[position - 1]
    elif verb == "down" and 0 <= position < len(rows) - 1:
        rows[position + 1], rows[position] = rows[position], rows[position + 1]
    return rows


def with_spare_rows(rows: list[dict], spare: int = SPARE_MODULE_ROWS) -> list[dict]:
    """Rows followed by at least ``spare`` blank ones to type new modules into."""
    trailing_blank = 0
    for row in reversed(rows):
        if row["title"] or row["title_en"] or row["hours"] is not None:
            break
        trailing_blank += 1
    return rows + [blank_module_row() for _ in range(max(0, spare - trailing_blank))]


class GrantAccreditationForm(FlaskForm):
    user_id = SelectField(_l("Person"), coerce=int, validators=[DataRequired(_l("Choose a person."))])
    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired(_l("Choose a course."))])
    granted_on = DateField(_l("Granted on"), default=date.today, validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=255)])


class RevokeAccreditationForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("Say why the accreditation is revoked.")), Length(max=255)]
    )
