"""How the geography package's audit events read (see ``lms.core.audit_log``)."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.core.audit_log import action_text, record_kind
from lms.core.i18n import localized
from lms.extensions import db
from lms.org.models import Community, District, Institution, Region


def _regions(ids):
    rows = db.session.execute(select(Region.id, Region.name, Region.name_en).where(Region.id.in_(ids)))
    return {i: (localized(uk, en), url_for("org.region", region_id=i)) for i, uk, en in rows}


def _districts(ids):
    rows = db.session.execute(
        select(District.id, District.name, District.name_en).where(District.id.in_(ids))
    )
    return {i: (localized(uk, en), url_for("org.district", district_id=i)) for i, uk, en in rows}


def _communities(ids):
    rows = db.session.execute(
        select(Community.id, Community.name, Community.name_en, Community.district_id).where(
            Community.id.in_(ids)
        )
    )
    return {i: (localized(uk, en), url_for("org.district", district_id=d)) for i, uk, en, d in rows}


def _institutions(ids):
    rows = db.session.execute(select(Institution.id, Institution.name).where(Institution.id.in_(ids)))
    return {i: (name, url_for("org.institution_form", institution_id=i)) for i, name in rows}


record_kind("regions", label=_l("Regions"), names=_regions)
record_kind("districts", label=_l("Districts"), names=_districts)
record_kind("communities", label=_l("Communities"), names=_communities)
record_kind("institutions", label=_l("Institutions"), names=_institutions)

action_text("region.create", label=_l("Region added"), sentence=_l("%(actor)s added a region"))
action_text("district.create", label=_l("District added"), sentence=_l("%(actor)s added a district"))
action_text("community.create", label=_l("Community added"), sentence=_l("%(actor)s added a community"))
action_text(
    "institution.create", label=_l("Institution added"), sentence=_l("%(actor)s added an institution")
)
action_text(
    "institution.update", label=_l("Institution changed"), sentence=_l("%(actor)s changed an institution")
)
