package dev.toolgate.policy;

/** The condition operators of POLICY.md. */
enum Operator {
    EQ("eq"), NE("ne"), GT("gt"), GTE("gte"), LT("lt"), LTE("lte"), IN("in"), NOT_IN("not_in"), CONTAINS("contains"),
    STARTS_WITH("starts_with"), ENDS_WITH("ends_with"), MATCHES("matches"), EXISTS("exists"), NOT_EXISTS("not_exists");

    private final String spelling;

    Operator(String spelling) {
        this.spelling = spelling;
    }

    String spelling() {
        return spelling;
    }

    boolean takesValue() {
        return this != EXISTS && this != NOT_EXISTS;
    }

    static Operator fromSpelling(String text) {
        for (Operator op : values()) {
            if (op.spelling.equals(text)) {
                return op;
            }
        }
        return null;
    }

    static String allSpellings() {
        StringBuilder sb = new StringBuilder();
        for (Operator op : values()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(op.spelling);
        }
        return sb.toString();
    }
}
