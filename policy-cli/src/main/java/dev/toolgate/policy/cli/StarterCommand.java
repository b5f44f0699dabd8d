package dev.toolgate.policy.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code policy-check starter [options] <server URL>}: connects to a live MCP server, reads every page of its tools/list
 * ({@link McpToolsClient}), classifies each tool ({@link ToolClassifier}) and writes the starter McpPolicy
 * ({@link StarterPolicy}), after checking it as {@code policy-check} checks any McpPolicy. Exit status 0 when written,
 * 2 for bad usage, a server that cannot be read, or (a bug) a policy that does not pass its own check.
 */
final class StarterCommand {

    static final String USAGE = "usage: policy-check starter [--token TOKEN | --token-file FILE] [--transport streamable|sse]\n"
            + "         [--name NAME] [--namespace NAMESPACE] [--app LABEL] [--port PORT] [--timeout SECONDS] [--out FILE] <server URL>\n"
            + "  reads every page of the server's tools/list (Streamable HTTP, or the legacy HTTP+SSE transport for a URL ending in /sse)\n"
            + "  and writes an McpPolicy: read tools allowed, write tools 30 a minute per agent, destructive and financial tools\n"
            + "  approved by a human, default deny, every entry pinned to the definition the server announced";

    private final PrintStream out;
    private final PrintStream err;

    StarterCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(List<String> args) {
        String token = null;
        String transport = null;
        String name = null;
        String namespace = null;
        String app = null;
        int port = 8080;
        int timeoutSeconds = 30;
        Path target = null;
        String url = null;
        try {
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                switch (arg) {
                    case "--token" -> token = value(args, ++i, arg);
                    case "--token-file" -> token = Files.readString(Path.of(value(args, ++i, arg)), StandardCharsets.UTF_8).strip();
                    case "--transport" -> transport = value(args, ++i, arg);
                    case "--name" -> name = value(args, ++i, arg);
                    case "--namespace" -> namespace = value(args, ++i, arg);
                    case "--app" -> app = value(args, ++i, arg);
                    case "--port" -> port = number(value(args, ++i, arg), arg, 1, 65535);
                    case "--timeout" -> timeoutSeconds = number(value(args, ++i, arg), arg, 1, 3600);
                    case "--out" -> target = Path.of(value(args, ++i, arg));
                    case "-h", "--help" -> {
                        out.println(USAGE);
                        return PolicyCheck.OK;
                    }
                    default -> {
                        if (arg.startsWith("--") || url != null) {
                            throw new IllegalArgumentException(arg.startsWith("--") ? "unknown option " + arg : "more than one server URL: " + arg);
                        }
                        url = arg;
                    }
                }
            }
            if (url == null) {
                throw new IllegalArgumentException("the server URL is missing");
            }
        } catch (IllegalArgumentException | IOException e) {
            err.println(e instanceof IOException ? "cannot read the token file: " + e : e.getMessage());
            err.println(USAGE);
            return PolicyCheck.INVALID_POLICY;
        }
        URI server;
        try {
            server = URI.create(url);
        } catch (IllegalArgumentException e) {
            err.println("not a URL: " + url);
            return PolicyCheck.INVALID_POLICY;
        }
        if (!"http".equals(server.getScheme()) && !"https".equals(server.getScheme()) || server.getHost() == null) {
            err.println("the server URL must be http:// or https:// with a host, got " + url);
            return PolicyCheck.INVALID_POLICY;
        }
        McpToolsClient.Transport kind;
        if (transport == null) {
            kind = McpToolsClient.guess(server);
        } else if (transport.equals("streamable")) {
            kind = McpToolsClient.Transport.STREAMABLE_HTTP;
        } else if (transport.equals("sse")) {
            kind = McpToolsClient.Transport.LEGACY_SSE;
        } else {
            err.println("--transport must be streamable or sse, got " + transport);
            return PolicyCheck.INVALID_POLICY;
        }

        McpToolsClient.Listing listing;
        try {
            listing = new McpToolsClient(server, token, Duration.ofSeconds(timeoutSeconds)).list(kind);
        } catch (McpToolsClient.Failure e) {
            err.println("cannot read the tools of " + url + ": " + e.getMessage());
            return PolicyCheck.INVALID_POLICY;
        }
        String resource = name != null ? name : StarterPolicy.resourceName(listing.serverName());
        String yaml = StarterPolicy.render(new StarterPolicy.Target(resource, namespace, app != null ? app : resource, port, url), listing);
        try {
            PolicyFile.parse("the starter policy", yaml);
        } catch (PolicyFile.Unusable e) {
            err.println("the starter policy does not pass its own check (a bug in policy-check): " + e.getMessage());
            e.details().forEach(detail -> err.println("  " + detail));
            return PolicyCheck.INVALID_POLICY;
        }
        if (target == null) {
            out.print(yaml);
        } else {
            try {
                Files.writeString(target, yaml, StandardCharsets.UTF_8);
            } catch (IOException e) {
                err.println("cannot write " + target + ": " + e);
                return PolicyCheck.INVALID_POLICY;
            }
            err.println("wrote " + target + ": McpPolicy " + resource + " with " + listing.tools().size() + " tools");
        }
        return PolicyCheck.OK;
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(i);
    }

    private static int number(String value, String option, int min, int max) {
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(option + " must be a whole number from " + min + " to " + max + ", got " + value);
    }
}
