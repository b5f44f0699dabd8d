package dev.toolgate.operator.mcppolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;

/**
 * The fields of an McpPolicy's spec that no schema object knows, each as
 * {@code "<spec path>: unknown field \"<name>\"; expected one of ..."}, in the policy engine's own wording: what every
 * {@link SpecObject} of the spec kept, found by walking its properties. Free-form values ({@code args} schemas,
 * condition values) are not spec objects, so nothing inside them is reported.
 */
public final class UnknownFields {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private UnknownFields() {
    }

    public static List<String> of(SpecObject spec) {
        List<String> problems = new ArrayList<>();
        walk(spec, "spec", problems);
        return problems;
    }

    private static void walk(Object value, String path, List<String> problems) {
        if (value instanceof SpecObject object) {
            List<BeanPropertyDefinition> properties = JSON.getSerializationConfig()
                    .introspect(JSON.constructType(object.getClass())).findProperties();
            List<String> names = properties.stream().map(BeanPropertyDefinition::getName).toList();
            for (String unknown : object.unknownFields().keySet()) {
                String at = IDENTIFIER.matcher(unknown).matches() ? path + "." + unknown : path + "[" + quote(unknown) + "]";
                problems.add(at + ": unknown field " + quote(unknown) + "; expected one of " + String.join(", ", names));
            }
            for (BeanPropertyDefinition property : properties) {
                AnnotatedMember accessor = property.getAccessor();
                if (accessor != null) {
                    walk(accessor.getValue(object), path + "." + property.getName(), problems);
                }
            }
        } else if (value instanceof Map<?, ?> map) {
            map.forEach((key, item) -> walk(item, path + "[" + quote(String.valueOf(key)) + "]", problems));
        } else if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                walk(list.get(i), path + "[" + i + "]", problems);
            }
        }
    }

    private static String quote(String s) {
        return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
    }
}
