from keyworker_app.domain.goals import Trend, goal_trend, overall_trend


def test_a_goal_needs_two_scores_for_a_trend() -> None:
    assert goal_trend([]) is Trend.NOT_SCORED
    assert goal_trend([4]) is Trend.NOT_SCORED


def test_reliable_change_is_two_and_a_half_points() -> None:
    assert goal_trend([2, 3, 5]) is Trend.IMPROVING
    assert goal_trend([2, 6, 4]) is Trend.STEADY
    assert goal_trend([7, 4]) is Trend.WORSENING


def test_overall_trend_averages_the_goals() -> None:
    assert overall_trend([[1, 6], [5, 5]]) is Trend.IMPROVING  # +2.5 on average
    assert overall_trend([[1, 4], [5, 5]]) is Trend.STEADY
    assert overall_trend([[3], []]) is Trend.NOT_SCORED
    assert Trend.IMPROVING.symbol == "↑"
