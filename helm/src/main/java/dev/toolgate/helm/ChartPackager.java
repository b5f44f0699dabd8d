package dev.toolgate.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Build step: lints the assembled chart strictly and packages it into a {@code .tgz} with the real Helm engine.
 * Run by the module's {@code package} phase; a lint error fails the build.
 */
public final class ChartPackager {

    private ChartPackager() {
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: ChartPackager <chart directory> <destination directory>");
        }
        Path chart = Path.of(args[0]);
        Path destination = Path.of(args[1]);
        if (!Files.isRegularFile(chart.resolve("Chart.yaml"))) {
            throw new IllegalArgumentException("no Chart.yaml in " + chart.toAbsolutePath());
        }
        LintResult lint = new Helm(chart).lint().strict().call();
        if (lint.isFailed()) {
            throw new IllegalStateException("helm lint --strict failed for " + chart + ": " + lint.getMessages());
        }
        new Helm(chart).packageIt().withDestination(destination).call();
        System.out.println("Packaged " + chart + " into " + destination);
    }
}
