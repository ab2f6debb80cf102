"""What the agent adds to each os.fork() of the program (issue 12): a fork
loop (the child exits at once, the parent waits for it) run plainly, under
`python3 -m leakscope_agent run --no-record` (the live server's threads
exist: on Python 3.12+ they end before each fork and start again after it,
leakscope_agent/_threads.py), and the same with that pause turned off (the
3.12+ "multi-threaded fork()" warning then fires), alternating round after
round; prints the median time per fork of each and the ratios.

    ~/.pyenv/versions/3.13.0/bin/python3 bench/fork_bench.py [--forks 300] [--rounds 5]
    /usr/bin/python3 bench/fork_bench.py      # 3.11: no pause (no warning to avoid)

Not a test: timings depend on the machine; the ratios are what to compare.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from nativeagent import agent_parent  # noqa: E402

LOOP = r"""
import os, sys, time, warnings
warnings.simplefilter("ignore")   # the no-pause mode warns on 3.12+
if sys.argv[2] == "nopause":
    [m for k, m in sys.modules.items()
     if k.endswith("._threads")][0]._FORK_WARNS = False
n = int(sys.argv[1])
times = []
for i in range(n):
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    times.append(time.perf_counter() - started)
    # Let the restarted threads run (as a program would between forks).
    time.sleep(0.001)
times.sort()
pause = [0.0]
threads = [m for k, m in sys.modules.items() if k.endswith("._threads")]
if sys.argv[2] == "pause" and threads and threads[0]._FORK_WARNS:
    # The pause alone, called directly: end the server's threads (the
    # before-fork hook) and start them again (what the restart runs).
    pause = []
    for i in range(n):
        started = time.perf_counter()
        threads[0]._before_fork()
        threads[0]._resume()
        pause.append(time.perf_counter() - started)
        time.sleep(0.001)
    pause.sort()
print("%.1f %.1f" % (1e6 * times[len(times) // 2],
                     1e6 * pause[len(pause) // 2]))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forks", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=agent_parent())
    results = {"plain": [], "agent": [], "agent, no pause": []}
    pauses = []
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "loop.py")
        with open(script, "w") as f:
            f.write(LOOP)
        env["LEAKSCOPE_SOCKET_DIR"] = os.path.join(tmp, "s")
        modes = [
            ("plain", [sys.executable, script, str(args.forks), "plain"]),
            ("agent", [sys.executable, "-m", "leakscope_agent", "run",
                       "--no-record", script, str(args.forks), "pause"]),
            ("agent, no pause", [sys.executable, "-m", "leakscope_agent",
                                 "run", "--no-record", script,
                                 str(args.forks), "nopause"]),
        ]
        for r in range(args.rounds):
            for name, cmd in (modes if r % 2 == 0 else modes[::-1]):
                out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                                     universal_newlines=True,
                                     check=True).stdout.split()
                results[name].append(float(out[-2]))
                if name == "agent":
                    pauses.append(float(out[-1]))
                print("round %d %-16s %8.1f us per fork%s" % (
                    r + 1, name, float(out[-2]),
                    "   (pause + restart alone: %.1f us)" % float(out[-1])
                    if name == "agent" else ""))
                sys.stdout.flush()
    plain = statistics.median(results["plain"])
    agent = statistics.median(results["agent"])
    nopause = statistics.median(results["agent, no pause"])
    print("Python %s, %d forks x %d rounds, median per fork:"
          % (sys.version.split()[0], args.forks, args.rounds))
    print("plain %.1f us, agent %.1f us (ratio %.2f), agent without the "
          "thread pause %.1f us (ratio %.2f); the pause itself: %+.1f us "
          "per fork" % (plain, agent, agent / plain, nopause,
                        nopause / plain, agent - nopause))
    pause = statistics.median(pauses)
    print("the pause and restart called directly (no fork): %.1f us, "
          "%.3f of a plain fork" % (pause, pause / plain))


if __name__ == "__main__":
    main()
