_HANDLERS = {}


def subscribe(event, callback):
    _HANDLERS.setdefault(event, []).append(callback)


class Handler(object):
    def __init__(self, name):
        self.name = name
        self.seen = []

    def on_event(self, payload):
        self.seen.append(payload)
