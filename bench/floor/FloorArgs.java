/** The floor proxies' command line: {@code <listen-port> <upstream-port>}, both on 127.0.0.1. */
final class FloorArgs {
    private FloorArgs() {
    }

    /** The two ports, or exits with status 2 and a message naming what is wrong. */
    static int[] ports(String[] args, String program) {
        if (args.length != 2) {
            System.err.println("usage: " + program + " <listen-port> <upstream-port>   (both on 127.0.0.1)");
            System.exit(2);
        }
        int[] ports = new int[2];
        for (int i = 0; i < 2; i++) {
            try {
                ports[i] = Integer.parseInt(args[i]);
            } catch (NumberFormatException e) {
                ports[i] = -1;
            }
            if (ports[i] < 1 || ports[i] > 65535) {
                System.err.println(program + ": not a TCP port (1-65535): " + args[i]);
                System.exit(2);
            }
        }
        return ports;
    }
}
