"""Rebuild examples/data/names.txt: a few thousand made-up names, one per line, lowercase a-z.

The names are syllables strung together by a small weighted grammar: a name is one to three
syllables, a syllable an optional onset (consonants), a vowel sound and an optional coda, and
most names end in one of a few endings.  The letters therefore follow each other with
structure a character model can learn (a bigram model gets well below the uniform
ln 27 ≈ 3.30 nats per character), and no real name list is involved.

The draws come from ``random.Random(SEED)`` and only its ``random()`` method, whose
sequence Python keeps stable across versions, so the file is the same on every machine:

    python examples/data/make_names.py            # writes examples/data/names.txt
    python examples/data/make_names.py --check    # exits 1 if the file differs from what it would write
"""
import argparse
import pathlib
import random
import sys

SEED = 20240617
COUNT = 4000
OUT = pathlib.Path(__file__).resolve().parent / "names.txt"

# (piece, weight): the weights shape the letter statistics, e.g. 'a' and 'e' are the common vowels
ONSETS = [("", 6), ("b", 3), ("br", 1), ("c", 2), ("ch", 1), ("d", 4), ("dr", 1), ("f", 1), ("g", 2),
          ("gr", 1), ("h", 2), ("j", 3), ("k", 4), ("kr", 1), ("l", 6), ("m", 6), ("n", 5), ("p", 1),
          ("qu", 1), ("r", 5), ("s", 4), ("sh", 2), ("st", 1), ("t", 4), ("th", 1), ("tr", 1), ("v", 2),
          ("w", 1), ("y", 1), ("z", 2)]
VOWELS = [("a", 12), ("e", 9), ("i", 7), ("o", 5), ("u", 2), ("y", 1), ("ai", 1), ("ea", 1), ("ee", 1),
          ("ie", 1), ("ia", 1), ("ou", 1), ("au", 1)]
CODAS = [("", 14), ("n", 5), ("r", 3), ("l", 3), ("s", 2), ("m", 1), ("th", 1), ("nd", 1),
         ("rt", 1), ("ck", 1), ("v", 1)]
ENDINGS = [("", 5), ("a", 6), ("ah", 2), ("ia", 2), ("ie", 2), ("y", 3), ("el", 2), ("on", 2), ("en", 2),
           ("in", 1), ("ette", 1), ("ix", 1), ("o", 1), ("ley", 1), ("ana", 1), ("isha", 1), ("lyn", 1)]
SYLLABLES = [(1, 3), (2, 6), (3, 2)]


def pick(rng, table):
    """One piece of ``table``, with probability proportional to its weight."""
    r = rng.random() * sum(w for _, w in table)
    for piece, weight in table:
        r -= weight
        if r < 0:
            return piece
    return table[-1][0]


def make_name(rng):
    name = ""
    for _ in range(pick(rng, SYLLABLES)):
        name += pick(rng, ONSETS) + pick(rng, VOWELS) + pick(rng, CODAS)
    name += pick(rng, ENDINGS)
    for triple in ("aaa", "eee", "iii", "yy", "ii", "uu", "yi"):      # spelling no one would use
        name = name.replace(triple, triple[0])
    return name


def make_names(count=COUNT, seed=SEED):
    """``count`` distinct names of 3 to 12 letters, in the order they were first drawn."""
    rng = random.Random(seed)
    seen, names = set(), []
    while len(names) < count:
        name = make_name(rng)
        if 3 <= len(name) <= 12 and name not in seen:
            seen.add(name)
            names.append(name)
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    args = parser.parse_args(argv)
    text = "\n".join(make_names()) + "\n"
    if args.check:
        same = OUT.exists() and OUT.read_text() == text
        print(f"{OUT.name}: {'up to date' if same else 'differs from the generator'}")
        return 0 if same else 1
    OUT.write_text(text)
    print(f"wrote {COUNT} names to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
