"""Function words shared by the peer scorer, story clustering and local-event matching.

One list, so the pipeline and the naive peer it is measured against drop the same words and a
comparison between them is not skewed by tokenisation.
"""

# A compact English stopword list (function words only); content words must stay, since they are
# what tells one happening from another.
ENGLISH_STOPWORDS = frozenset(
    """
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst an and another any anyhow anyone anything anyway anywhere
    are around as at be became because become becomes becoming been before beforehand behind
    being below beside besides between beyond both but by can cannot could did do does doing
    done down during each either else elsewhere enough etc even ever every everyone everything
    everywhere except few for former formerly from further had has have having he hence her here
    hereafter hereby herein hereupon hers herself him himself his how however i if in indeed into
    is it its itself just last latter latterly least less many may me meanwhile might mine more
    moreover most mostly much must my myself namely neither never nevertheless next no nobody
    none noone nor not nothing now nowhere of off often on once one only onto or other others
    otherwise our ours ourselves out over own per perhaps please rather re same said says say
    seem seemed seeming seems several she should since so some somehow someone something
    sometime sometimes somewhere still such than that the their theirs them themselves then
    thence there thereafter thereby therefore therein thereupon these they this those though
    through throughout thru thus to together too toward towards under until up upon us very via
    was we well were what whatever when whence whenever where whereafter whereas whereby wherein
    whereupon wherever whether which while whither who whoever whole whom whose why will with
    within without would yet you your yours yourself yourselves s t don didn doesn isn wasn
    weren won wouldn couldn shouldn aren hasn haven hadn ll ve d m o y
    """.split()
)

# Words every news report uses whatever happened: calendar and count words, and the reporting
# words ("told", "according") that ENGLISH_STOPWORDS lets through. Local events
# (pipeline/dedup.py) are matched on the words of their sentences, where these only add noise.
# dedup used to hold a stopword list of its own (79 words, these among them); the shared list
# plus these gives the same make eval-all figures on ECB+ and GVC dev (events B3 F1 0.958 and
# 0.987, stories 0.970 and 0.992).
NEWS_FILLER_WORDS = frozenset(
    "according day days first month months new three time told two week weeks year years".split()
)
