package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.ExecutionConfig;
import com.networknt.schema.ExecutionContext;
import com.networknt.schema.FailFastAssertionException;
import com.networknt.schema.InputFormat;
import com.networknt.schema.OutputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import com.networknt.schema.path.PathType;
import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.regex.RegularExpressionFactory;

import java.util.List;

/**
 * A compiled {@code args} JSON Schema (draft 2020-12 unless the schema names another draft with {@code $schema}).
 * Checked against its meta-schema at parse time; never fetches anything over the network; {@code pattern} uses RE2
 * (linear time) instead of backtracking regexes, because argument values come from untrusted agents.
 */
final class ArgsSchema {

    private static final String DEFAULT_DIALECT = SpecificationVersion.DRAFT_2020_12.getDialectId();
    private static final List<String> KNOWN_DIALECTS = List.of(
            SpecificationVersion.DRAFT_2020_12.getDialectId(),
            SpecificationVersion.DRAFT_2019_09.getDialectId(),
            SpecificationVersion.DRAFT_7.getDialectId(),
            SpecificationVersion.DRAFT_6.getDialectId(),
            SpecificationVersion.DRAFT_4.getDialectId());

    private static final RegularExpressionFactory RE2 = regex -> {
        RegexSearch search = RegexSearch.compile(regex);
        return (RegularExpression) search::find;
    };

    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12, builder -> builder
            .schemaLoader(loader -> loader.fetchRemoteResources(false))
            .schemaRegistryConfig(SchemaRegistryConfig.builder()
                    .regularExpressionFactory(RE2)
                    .pathType(PathType.JSON_POINTER)
                    .preloadSchema(true)
                    .build()));

    private static final ExecutionConfig FAIL_FAST = ExecutionConfig.builder()
            .annotationCollectionEnabled(false)
            .failFast(true)
            .build();
    private static final java.util.regex.Pattern PLAIN_NAME = java.util.regex.Pattern.compile("[^.\\[\\]\"]+");

    private final Schema schema;

    private ArgsSchema(Schema schema) {
        this.schema = schema;
    }

    /** Compiles the schema at {@code path}; on any problem adds errors naming the offending schema location and returns null. */
    static ArgsSchema compile(JsonNode node, String path, List<PolicyError> errors) {
        if (!node.isObject() && !node.isBoolean()) {
            errors.add(new PolicyError(path, "expected a JSON Schema (an object or a boolean), got " + JsonValues.typeName(node)));
            return null;
        }
        String dialect = DEFAULT_DIALECT;
        JsonNode declared = node.get("$schema");
        if (declared != null) {
            String id = declared.isTextual() ? declared.textValue().replaceAll("#$", "") : null;
            String match = null;
            for (String known : KNOWN_DIALECTS) {
                if (known.replaceAll("#$", "").equals(id)) {
                    match = known;
                }
            }
            if (match == null) {
                errors.add(new PolicyError(PolicyPaths.field(path, "$schema"),
                        "unsupported JSON Schema dialect " + declared + "; expected one of " + KNOWN_DIALECTS));
                return null;
            }
            dialect = match;
        }
        int before = errors.size();
        try {
            Schema meta = REGISTRY.getSchema(SchemaLocation.of(dialect));
            for (Error e : meta.validate(node)) {
                errors.add(new PolicyError(appendLocation(path, e.getInstanceLocation()), "invalid JSON Schema: " + e.getMessage()));
            }
        } catch (RuntimeException e) {
            errors.add(new PolicyError(path, "cannot load the meta-schema " + dialect + ": " + e.getMessage()));
        }
        if (errors.size() > before) {
            return null;
        }
        try {
            Schema schema = REGISTRY.getSchema(node);
            schema.initializeValidators();
            // a first run resolves anything still lazy, so later concurrent validations only read
            schema.validate("{}", InputFormat.JSON, OutputFormat.BOOLEAN);
            return new ArgsSchema(schema);
        } catch (RuntimeException e) {
            errors.add(new PolicyError(path, "invalid JSON Schema: " + e.getMessage()));
            return null;
        }
    }

    /** True when the arguments satisfy the schema. */
    boolean accepts(JsonNode arguments) {
        // a context per call (contexts are not thread-safe), from one shared config: the library's own BOOLEAN path rebuilds the config every call
        ExecutionContext context = new ExecutionContext(FAIL_FAST);
        try {
            schema.validate(context, arguments);
        } catch (FailFastAssertionException e) {
            return false;
        }
        return context.getErrors().isEmpty();
    }

    /** Why the arguments fail the schema: up to three problems, each naming the argument path. */
    String explain(JsonNode arguments) {
        List<Error> problems = schema.validate(arguments);
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        for (Error e : problems) {
            if (shown == 3) {
                sb.append("; and ").append(problems.size() - 3).append(" more");
                break;
            }
            if (shown++ > 0) {
                sb.append("; ");
            }
            sb.append(argumentPath(e.getInstanceLocation())).append(": ").append(e.getMessage());
        }
        return sb.toString();
    }

    /** {@code arguments.items[0].price}, in the same spelling as condition paths. */
    static String argumentPath(NodePath location) {
        StringBuilder sb = new StringBuilder("arguments");
        for (int i = 0; i < location.getNameCount(); i++) {
            Object element = location.getElement(i);
            if (element instanceof Integer index) {
                sb.append('[').append(index).append(']');
            } else {
                String name = String.valueOf(element);
                if (PLAIN_NAME.matcher(name).matches()) {
                    sb.append('.').append(name);
                } else {
                    sb.append('[').append(PolicyPaths.quote(name)).append(']');
                }
            }
        }
        return sb.toString();
    }

    private static String appendLocation(String path, NodePath location) {
        String result = path;
        for (int i = 0; i < location.getNameCount(); i++) {
            Object element = location.getElement(i);
            result = element instanceof Integer index ? PolicyPaths.index(result, index) : PolicyPaths.field(result, String.valueOf(element));
        }
        return result;
    }
}
