package dev.toolgate.operator.build;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;

/**
 * Build step after crd-generator (process-classes): the generator emits printer columns sorted by JSON path, but
 * kubectl shows them in the CRD's order, so this puts them back in the order the {@code @AdditionalPrinterColumn}
 * annotations are declared. It moves whole YAML list items as text, so everything else stays byte for byte.
 * Usage: {@code PrinterColumnOrder <crd.yml> <custom resource class>}.
 */
public final class PrinterColumnOrder {

    private static final Pattern BLOCK = Pattern.compile("^(\\s*)(?:- )?additionalPrinterColumns:$");
    private static final Pattern NAME = Pattern.compile("^\\s*(?:- )?name: \"?([^\"]*)\"?$");

    private PrinterColumnOrder() {
    }

    public static void main(String[] args) throws IOException, ClassNotFoundException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: PrinterColumnOrder <crd.yml> <custom resource class>");
        }
        Path crd = Path.of(args[0]);
        Class<?> resource = Class.forName(args[1], false, PrinterColumnOrder.class.getClassLoader());
        List<String> names = Arrays.stream(resource.getAnnotationsByType(AdditionalPrinterColumn.class)).map(AdditionalPrinterColumn::name)
                .toList();
        String yaml = Files.readString(crd, StandardCharsets.UTF_8);
        Files.writeString(crd, reorder(yaml, names), StandardCharsets.UTF_8);
    }

    /** The CRD text with each version's printer columns in {@code order} (by column name); fails if the names differ. */
    public static String reorder(String yaml, List<String> order) {
        List<String> lines = new ArrayList<>(Arrays.asList(yaml.split("\n", -1)));
        boolean found = false;
        for (int i = 0; i < lines.size(); i++) {
            Matcher block = BLOCK.matcher(lines.get(i));
            if (!block.matches()) {
                continue;
            }
            found = true;
            // The key sits after "- " when it opens a list item; its items are indented to the key's column.
            int keyColumn = lines.get(i).indexOf("additionalPrinterColumns");
            String itemStart = " ".repeat(keyColumn) + "- ";
            String itemContinuation = " ".repeat(keyColumn + 2);
            List<List<String>> items = new ArrayList<>();
            List<String> current = null;
            int end = i + 1;
            for (; end < lines.size(); end++) {
                String line = lines.get(end);
                if (line.startsWith(itemStart)) {
                    current = new ArrayList<>();
                    current.add(line);
                    items.add(current);
                } else if (current != null && line.startsWith(itemContinuation)) {
                    current.add(line);
                } else {
                    break;
                }
            }
            Map<String, List<String>> byName = new LinkedHashMap<>();
            for (List<String> item : items) {
                String name = item.stream().map(NAME::matcher).filter(Matcher::matches).map(m -> m.group(1)).findFirst()
                        .orElseThrow(() -> new IllegalStateException("printer column without a name: " + item));
                byName.put(name, item);
            }
            if (!byName.keySet().equals(new HashSet<>(order)) || byName.size() != order.size()) {
                throw new IllegalStateException("printer columns in the CRD " + byName.keySet() + " differ from the annotations " + order);
            }
            List<String> sorted = new ArrayList<>();
            order.forEach(name -> sorted.addAll(byName.get(name)));
            for (int k = 0; k < sorted.size(); k++) {
                lines.set(i + 1 + k, sorted.get(k));
            }
            i = end - 1;
        }
        if (!found) {
            throw new IllegalStateException("no additionalPrinterColumns in the CRD");
        }
        return String.join("\n", lines);
    }
}
