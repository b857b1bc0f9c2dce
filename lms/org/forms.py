"""Forms for geography and institutions."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

INSTITUTION_TYPE_LABELS = {
    "family_youth_sports": _l("Department of family, youth and sports"),
    "social_services_centre": _l("Centre of social services"),
    "children_service": _l("Children's service"),
    "social_protection": _l("Social protection department"),
    "education_department": _l("Education department"),
    "school": _l("School"),
    "boarding_school": _l("Boarding school"),
    "health": _l("Health care institution"),
    "police": _l("National Police unit"),
    "employment_centre": _l("Employment centre"),
    "local_administration": _l("Local administration or hromada council"),
    "ngo": _l("Non-governmental organisation"),
    "other": _l("Other"),
}
LATIN_HINT = _l("Leave empty to use the official Latin transliteration of the Ukrainian name.")
COMMUNITY_KIND_LABELS = {"urban": _l("Urban"), "rural": _l("Rural")}


REGION_KIND_LABELS = {
    "oblast": _l("Oblast"),
    "ar": _l("Autonomous republic"),
    "city": _l("City with special status"),
}


class RegionForm(FlaskForm):
    code = StringField(
        _l("Code (ISO 3166-2)"), validators=[DataRequired(), Length(max=8)], description="UA-71"
    )
    name = StringField(_l("Name (Ukrainian)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(
        _l("Name (English)"), validators=[Optional(), Length(max=120)], description=LATIN_HINT
    )
    kind = SelectField(_l("Kind"), choices=list(REGION_KIND_LABELS.items()))


class DistrictForm(FlaskForm):
    name = StringField(_l("Name (Ukrainian)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(
        _l("Name (English)"), validators=[Optional(), Length(max=120)], description=LATIN_HINT
    )


class CommunityForm(FlaskForm):
    name = StringField(_l("Name (Ukrainian)"), validators=[DataRequired(), Length(max=160)])
    name_en = StringField(
        _l("Name (English)"), validators=[Optional(), Length(max=160)], description=LATIN_HINT
    )
    kind = SelectField(_l("Kind"), choices=list(COMMUNITY_KIND_LABELS.items()))


class InstitutionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=255)])
    name_en = StringField(
        _l("Name (English)"), validators=[Optional(), Length(max=255)], description=LATIN_HINT
    )
    type = SelectField(_l("Type"), choices=list(INSTITUTION_TYPE_LABELS.items()))
    district_id = SelectField(_l("District"), coerce=int, validators=[DataRequired()])
