"""Forms for signing in, passwords, tokens and managing people."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lms.accounts.models import ROLES
from lms.accounts.passwords import MAX_LENGTH, MIN_LENGTH

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "coordinator": _l("Coordinator"),
    "trainer": _l("Trainer"),
    "participant": _l("Participant"),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", _l("The passwords differ."))],
    )


class TokenForm(FlaskForm):
    name = StringField(_l("What is this token for?"), validators=[DataRequired(), Length(max=100)])
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[Optional(), Length(max=20)],
        description=_l("Needed when two-factor sign-in is on."),
    )


class ProfileForm(FlaskForm):
    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter your full name.")), Length(max=200)],
        description=_l("As your certificate should print it, e.g. “Олена Петрівна Шевченко”."),
    )
    surname = StringField(
        _l("Surname"),
        validators=[Optional(), Length(max=200)],
        description=_l("One of the words of the full name; lists are sorted by it. Leave empty to guess it."),
    )
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=32)],
        description=_l("Optional, e.g. +380 67 123 4567."),
    )
    locale = SelectField(_l("Language"), choices=[("uk", "Українська"), ("en", "English")])


class TwoFactorCodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=20)],
        description=_l("The 6 digits from your authenticator app, or one of your recovery codes."),
    )


class EnableTwoFactorForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app"), validators=[DataRequired(), Length(min=6, max=10)]
    )


class SecuritySettingsForm(FlaskForm):
    require_two_factor = BooleanField(_l("Require two-factor sign-in for administrators and coordinators"))


class UserForm(FlaskForm):
    full_name = StringField(_l("Full name (Ukrainian)"), validators=[DataRequired(), Length(max=200)])
    surname = StringField(
        _l("Surname"),
        validators=[Optional(), Length(max=200)],
        description=_l("Lists are sorted by it. Leave empty and it is taken from the full name."),
    )
    full_name_latin = StringField(
        _l("Name in Latin letters"),
        validators=[Optional(), Length(max=200)],
        description=_l("Leave empty to transliterate by the official national table."),
    )
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200)])
    institution_id = SelectField(_l("Institution"), coerce=int, validators=[Optional()])
    roles = MultiCheckboxField(
        _l("Roles"), choices=[(r, ROLE_LABELS[r]) for r in ROLES], validators=[DataRequired()]
    )
    region_ids = MultiCheckboxField(_l("Regions (for coordinators)"), coerce=int, validators=[Optional()])
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(
        _l("Initial password"),
        validators=[Optional(), Length(min=MIN_LENGTH, max=MAX_LENGTH)],
        description=_l(
            "Optional: leave empty and the person chooses one from the link in the welcome email."
        ),
    )


class ConfirmForm(FlaskForm):
    """An empty form: a POST with its CSRF token confirms a destructive action."""
