from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.http import HtmxHttpRequest
from designs.selectors import teams_shown
from search import selectors
from search.forms import SearchForm, day_after, day_start


@login_required
@require_GET
def search_page(request: HtmxHttpRequest) -> HttpResponse:
    teams = list(teams_shown(fetched_by=request.user))
    form = SearchForm(request.GET or None, teams=teams)
    results = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            author = data["author"]
            results = selectors.search(
                fetched_by=request.user,
                query=data["q"],
                team_id=data["team"],
                status=data["status"] or None,
                author_id=selectors.author_id_for(author) if author else None,
                since=day_start(data["since"]),
                until=day_after(data["until"]),
                page=data["page"] or 1,
            )
        else:
            status = 400
    template = "search/search.html#results" if request.htmx else "search/search.html"
    context = {"form": form, "results": results}
    return render(request, template, context, status=status)
