"""Child process for the crash test: writes contacts, autosaves drafts, finalises and adds
addenda in a loop, printing each write once it is committed.

Reads the data key (hex) and young person id from stdin, so no secret is on the command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.recording import (
    ContactDetails,
    add_addendum,
    add_contact,
    finalise_contact,
    save_draft,
)


def main() -> None:
    folder = Path(sys.argv[1])
    key_hex, young_person_id = sys.stdin.readline().split()
    store = Store.open(folder, bytes.fromhex(key_hex))
    n = 0
    while True:
        n += 1
        contact = add_contact(
            store, young_person_id, ContactDetails(ContactType.PHONE, f"crash loop note {n} " * 20)
        )
        print(f"contact {contact.id}", flush=True)
        if n % 2 == 0:  # a draft being typed: autosaved twice, each save acknowledged
            for version in (1, 2):
                save_draft(
                    store,
                    contact.id,
                    ContactDetails(ContactType.PHONE, f"draft {n} version {version} " * 20),
                )
                print(f"draft {contact.id}:{version}", flush=True)
            continue
        if n % 3 == 0:
            finalise_contact(store, contact.id)
            addendum = add_addendum(store, contact.id, f"addendum {n}")
            print(f"addendum {addendum.id}", flush=True)


if __name__ == "__main__":
    main()
