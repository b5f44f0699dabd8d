package dev.toolgate.policy.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Classifies one announced tool as read, write, destructive or financial, from its name and description and from its
 * annotations. The annotations are the server's own claims, so they may only make the class stricter: a
 * {@code readOnlyHint} never turns a tool whose name says "delete" into a read tool, while a {@code destructiveHint}
 * makes any tool destructive. Only hints the server states count (the spec's defaults for absent hints, destructive and
 * open-world, would make every unannotated tool destructive). A tool whose name names no known verb is a write: allowed,
 * but rate limited, until a person says otherwise.
 */
final class ToolClassifier {

    /** From least to most guarded. */
    enum ToolClass {
        READ("read"), WRITE("write"), DESTRUCTIVE("destructive"), FINANCIAL("financial");

        final String label;

        ToolClass(String label) {
            this.label = label;
        }

        ToolClass atLeast(ToolClass other) {
            return other.ordinal() > ordinal() ? other : this;
        }
    }

    /** The class and why, as the comment above the policy entry says it. */
    record Classification(ToolClass toolClass, List<String> reasons) {
    }

    /** Verbs that move money: financial whatever else the name says. */
    private static final Set<String> MONEY_ACTIONS = Set.of("pay", "payout", "payouts", "refund", "refunds", "charge", "charges",
            "transfer", "transfers", "withdraw", "withdrawal", "deposit", "purchase", "purchases", "checkout", "buy", "sell", "trade",
            "capture", "debit", "donate");
    /** Words a description uses for moving money. */
    private static final Set<String> MONEY_WORDS = Set.of("pay", "pays", "payout", "payouts", "refund", "refunds", "charge", "charges",
            "purchase", "purchases", "withdraw", "withdraws", "debit", "debits");
    /** Things money is: a tool that changes one of them is financial; one that only reads them stays a read. */
    private static final Set<String> MONEY_THINGS = Set.of("payment", "payments", "invoice", "invoices", "bill", "bills", "billing", "transaction",
            "transactions", "subscription", "subscriptions", "amount", "amounts", "price", "prices", "pricing", "balance", "balances",
            "wallet", "wallets", "fund", "funds", "card", "cards", "bank", "iban", "money", "order", "orders", "coupon", "coupons",
            "discount", "discounts", "stripe", "paypal", "crypto", "ledger", "payroll", "salary", "tax", "taxes");
    /** Words a description uses for harm that cannot be undone. */
    private static final Set<String> HARM_WORDS = Set.of("delete", "deletes", "deleted", "deleting", "destroy", "destroys", "purge",
            "purges", "erase", "erases", "wipe", "wipes", "truncate", "truncates", "overwrite", "overwrites", "permanently",
            "irreversible", "irreversibly", "unrecoverable", "terminate", "terminates", "drop", "drops", "revoke", "revokes");
    private static final Set<String> DESTRUCTIVE = Set.of("delete", "deletes", "deleted", "remove", "removes", "drop", "destroy",
            "destroys", "purge", "erase", "wipe", "truncate", "kill", "terminate", "revoke", "rm", "unlink", "uninstall", "shutdown",
            "overwrite", "overwrites", "permanently", "irreversible", "irreversibly", "force", "reset", "clear", "archive", "ban");
    private static final Set<String> WRITE = Set.of("create", "update", "set", "write", "put", "post", "add", "insert", "edit",
            "modify", "patch", "send", "push", "upload", "move", "rename", "merge", "publish", "deploy", "run", "exec", "execute",
            "start", "stop", "restart", "trigger", "schedule", "approve", "assign", "close", "open", "comment", "install", "enable",
            "disable", "change", "save", "submit", "invite", "toggle", "sync", "import", "apply", "upsert", "replace", "register",
            "book", "reply", "notify", "email", "message", "call", "invoke", "launch", "commit", "fork", "lock", "unlock", "mark",
            "label", "tag", "upgrade", "scale", "sample", "elicit", "request");
    private static final Set<String> READ = Set.of("get", "list", "read", "search", "find", "fetch", "query", "describe", "show",
            "view", "lookup", "count", "check", "inspect", "download", "status", "info", "echo", "print", "explain", "browse",
            "summarize", "summarise", "preview", "validate", "ping", "version", "whoami", "lint", "diff", "compare", "calculate",
            "sum", "resolve", "stat", "stats", "retrieve", "head", "peek", "tail");
    private static final Set<String> VERBS = union(READ, WRITE);
    private static final Pattern WORD = Pattern.compile("[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+");

    private ToolClassifier() {
    }

    static Classification classify(JsonNode tool) {
        String name = tool.path("name").asText("");
        String description = tool.path("description").isTextual() ? tool.get("description").textValue() : "";
        List<String> nameWords = words(name);
        Set<String> descriptionWords = new LinkedHashSet<>(words(description));
        List<String> reasons = new ArrayList<>();

        ToolClass byName = null;
        String moneyAction = first(nameWords, MONEY_ACTIONS);
        String moneyThing = first(nameWords, MONEY_THINGS);
        String destructive = first(nameWords, DESTRUCTIVE);
        // the first verb of the name decides between read and write: get_message reads, send_message writes
        String verb = first(nameWords, VERBS);
        String write = verb != null && WRITE.contains(verb) ? verb : null;
        String read = verb != null && READ.contains(verb) ? verb : null;
        if (moneyAction != null) {
            byName = ToolClass.FINANCIAL;
            reasons.add("the name says \"" + moneyAction + "\"");
        } else if (moneyThing != null && (destructive != null || write != null || read == null)) {
            byName = ToolClass.FINANCIAL;
            String change = destructive != null ? destructive : write;
            reasons.add("the name says \"" + (change == null ? moneyThing : change + "\" and \"" + moneyThing) + "\"");
        } else if (destructive != null) {
            byName = ToolClass.DESTRUCTIVE;
            reasons.add("the name says \"" + destructive + "\"");
        } else if (write != null) {
            byName = ToolClass.WRITE;
            reasons.add("the name says \"" + write + "\"");
        } else if (read != null) {
            byName = ToolClass.READ;
            reasons.add("the name says \"" + read + "\"" + (moneyThing == null ? "" : " (it reads " + moneyThing + ")"));
        }
        ToolClass result = byName == null ? ToolClass.WRITE : byName;
        if (byName == null) {
            reasons.add("the name names no verb known here, so it counts as a write");
        }
        // the description can only add: money moved or harm done that it mentions
        String moneyWord = first(descriptionWords, MONEY_WORDS);
        if (moneyWord != null && result.ordinal() < ToolClass.FINANCIAL.ordinal()) {
            result = ToolClass.FINANCIAL;
            reasons.add("the description says \"" + moneyWord + "\"");
        }
        String harmWord = first(descriptionWords, HARM_WORDS);
        if (harmWord != null && result.ordinal() < ToolClass.DESTRUCTIVE.ordinal()) {
            result = ToolClass.DESTRUCTIVE;
            reasons.add("the description says \"" + harmWord + "\"");
        }

        JsonNode hints = tool.path("annotations");
        List<String> hinted = new ArrayList<>();
        if (isTrue(hints, "destructiveHint")) {
            hinted.add("destructiveHint");
            result = result.atLeast(ToolClass.DESTRUCTIVE);
        }
        if (isFalse(hints, "readOnlyHint")) {
            hinted.add("readOnlyHint false");
            result = result.atLeast(ToolClass.WRITE);
        }
        if (isFalse(hints, "idempotentHint")) {
            hinted.add("idempotentHint false");
            result = result.atLeast(ToolClass.WRITE);
        }
        if (isTrue(hints, "openWorldHint")) {
            hinted.add("openWorldHint (it reaches outside systems, where arguments can carry data away)");
            result = result.atLeast(ToolClass.WRITE);
        }
        if (isTrue(hints, "readOnlyHint")) {
            hinted.add(result == ToolClass.READ ? "readOnlyHint" : "readOnlyHint (not trusted to loosen the class)");
        }
        if (!hinted.isEmpty()) {
            reasons.add("annotations: " + String.join(", ", hinted));
        }
        return new Classification(result, List.copyOf(reasons));
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }

    private static boolean isTrue(JsonNode hints, String hint) {
        return hints.path(hint).isBoolean() && hints.get(hint).booleanValue();
    }

    private static boolean isFalse(JsonNode hints, String hint) {
        return hints.path(hint).isBoolean() && !hints.get(hint).booleanValue();
    }

    private static String first(Iterable<String> words, Set<String> vocabulary) {
        for (String word : words) {
            if (vocabulary.contains(word)) {
                return word;
            }
        }
        return null;
    }

    /** {@code getUserByID}, {@code get_user-by.id}, {@code Get User} → get, user, by, id. */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        Matcher matcher = WORD.matcher(text);
        while (matcher.find()) {
            words.add(matcher.group().toLowerCase(Locale.ROOT));
        }
        return words;
    }
}
