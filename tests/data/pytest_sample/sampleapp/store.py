class Session(object):
    def __init__(self, user):
        self.user = user


_SESSIONS = []


def login(user, remember=True):
    session = Session(user)
    if remember:
        # The leak: nothing ever removes a session from the list.
        _SESSIONS.append(session)
    return session


class Record(object):
    def __init__(self, n):
        self.n = n


class Cache(object):
    """A bounded cache: it fills once and then holds the same records."""

    def __init__(self, size):
        self.size = size
        self.items = {}

    def get(self, n):
        n = n % self.size
        if n not in self.items:
            self.items[n] = Record(n)
        return self.items[n]
