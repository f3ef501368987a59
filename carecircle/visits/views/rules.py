"""The visit intervals: the version in force, a form for the next one, the versions before.

Only a county-wide district administrator sees and changes them (the rules name the
risk levels of screening results, which directors do not read). Saving makes the
whole rule a new version (``rules.visit_rules_create``); a key left empty has no
interval in it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carecircle.people.categories.rulesets import can_manage_rules
from carecircle.visits import rules
from carecircle.visits.forms import VisitRulesForm, rule_key_labels
from carecircle.visits.models import VisitRuleSet
from carecircle.visits.views.common import PAGE_SIZE


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def visit_rules(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can_manage_rules(user):
        raise PermissionDenied(_("Only a district administrator can change the visit rules."))
    active = rules.active_ruleset()
    intervals = rules.active_intervals()
    if request.method == "POST":
        form = VisitRulesForm(request.POST)
        if form.is_valid():
            try:
                made = rules.visit_rules_create(
                    actor=user, intervals=form.intervals(), note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request,
                    _("Version %(version)d of the visit rules is in force.")
                    % {"version": made.version},
                )
                return redirect("visits:rules")
    else:
        form = VisitRulesForm(initial=intervals)
    labels = rule_key_labels()
    history = Paginator(VisitRuleSet.objects.select_related("created_by"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "active": active,
        "current": [(labels[key], intervals.get(key)) for key in rules.RULE_KEYS],
        "page": history,
        "versions": [
            (
                ruleset,
                [
                    (labels.get(key, key), days)
                    for key, days in sorted(
                        ruleset.intervals.items(), key=lambda kv: _order(str(kv[0]))
                    )
                ],
            )
            for ruleset in history
        ],
        "query": "",
    }
    return render(request, "visits/rules.html", context, status=400 if form.is_bound else 200)


def _order(key: str) -> int:
    return rules.RULE_KEYS.index(key) if key in rules.RULE_KEYS else len(rules.RULE_KEYS)
