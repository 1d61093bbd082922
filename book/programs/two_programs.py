"""Two programs that were not started together: a Listener and a Client on loopback."""

import pickle
import subprocess
import sys
from multiprocessing.connection import Client, Listener

AUTHKEY = b"a long random secret shared by both programs"


def serve():
    # loopback only: nothing outside this machine can connect; port 0 picks a free one
    with Listener(("127.0.0.1", 0), authkey=AUTHKEY) as listener:
        port = listener.address[1]
        client = subprocess.Popen([sys.executable, __file__, "client", str(port)])
        with listener.accept() as connection:  # checks the client's authkey first
            job = connection.recv()
            connection.send(sum(job))
        client.wait()
        intruder = subprocess.Popen([sys.executable, __file__, "intruder", str(port)])
        try:
            listener.accept()
            refused = "nothing"
        except Exception as error:  # the intruder gave the wrong key
            refused = type(error).__name__
        intruder.wait()
        print("server refused a client:", refused)
    print("client exit code:", client.returncode, "- intruder exit code:", intruder.returncode)


def ask(port, key):
    with Client(("127.0.0.1", port), authkey=key) as connection:
        connection.send([1, 2, 3, 4])
        print("client got:", connection.recv())


class Harmless:
    def __reduce__(self):
        return (print, ("this line ran while unpickling: it could have been any code",))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "client":
        ask(int(sys.argv[2]), AUTHKEY)
    elif len(sys.argv) == 3 and sys.argv[1] == "intruder":
        try:
            ask(int(sys.argv[2]), b"a guess")
        except Exception as error:
            print("intruder refused:", type(error).__name__)
            sys.exit(1)
    else:
        serve()
        pickle.loads(pickle.dumps(Harmless()))  # why recv() from a stranger is unsafe
