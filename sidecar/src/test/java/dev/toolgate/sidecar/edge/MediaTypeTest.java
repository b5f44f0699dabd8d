package dev.toolgate.sidecar.edge;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MediaTypeTest {

    @Test
    void parsesTypeSubtypeAndParametersByRfc9110() throws MediaType.Malformed {
        MediaType plain = MediaType.parse("Application/JSON");
        assertThat(plain.essence()).isEqualTo("application/json");
        assertThat(plain.parameters()).isEmpty();
        assertThat(MediaType.parse("application/json ; charset=UTF-8 ;profile=x").parameters())
                .containsExactly(new MediaType.Parameter("charset", "UTF-8"), new MediaType.Parameter("profile", "x"));
        assertThat(MediaType.parse("application/json;;charset=utf-8;").parameters()).containsExactly(new MediaType.Parameter("charset", "utf-8"));
        assertThat(MediaType.parse("\tapplication/json\t").essence()).isEqualTo("application/json");
    }

    @Test
    void quotedStringsLoseTheirQuotesAndQuotedPairsTheirBackslash() throws MediaType.Malformed {
        assertThat(MediaType.parse("application/json; charset=\"utf-7\"").parameters()).containsExactly(new MediaType.Parameter("charset", "utf-7"));
        assertThat(MediaType.parse("application/json; charset=\"utf\\-7\"").parameters()).containsExactly(new MediaType.Parameter("charset", "utf-7"));
        assertThat(MediaType.parse("text/plain; x=\"a;b=\\\"c\\\\\"").parameters()).containsExactly(new MediaType.Parameter("x", "a;b=\"c\\"));
    }

    @Test
    void whitespaceAroundTheEqualsSignStillNamesTheParameter() throws MediaType.Malformed {
        // Not RFC syntax, but the npm content-type parser reads it, so the sidecar must see the same parameter.
        assertThat(MediaType.parse("application/json; charset = utf-7").parameters()).containsExactly(new MediaType.Parameter("charset", "utf-7"));
        assertThat(MediaType.parse("application/json; CHARSET\t=\tUTF-7").parameters()).containsExactly(new MediaType.Parameter("charset", "UTF-7"));
    }

    @Test
    void malformedValuesAreRejectedWithWhereAndWhy() {
        for (String bad : List.of("", " ", "application", "application/", "/json", "application/json charset=utf-8",
                "application/json; charset", "application/json; charset=", "application/json; charset=\"utf-8",
                "application/json; charset=\"utf-8\u0001\"", "application/json; charset=\"utf-8\\", "application/json, text/plain",
                "application/json; =utf-8", "text/plain; a=b c", "application/json; charset=utf-8\"", "application/js\u00f6n",
                "application/json; charset=utf-8 ; charset")) {
            assertThatThrownBy(() -> MediaType.parse(bad)).as(bad).isInstanceOf(MediaType.Malformed.class)
                    .hasMessageContaining("is malformed at position");
        }
    }

    @Test
    void acceptedRequestTypes() {
        for (String ok : List.of("application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8",
                "application/json; charset=\"utf-8\"", "application/json; charset = utf-8", "application/json; charset=utf8",
                "text/plain", "application/json; profile=\"x\"")) {
            assertThat(MediaType.problem(List.of(ok))).as(ok).isNull();
        }
        assertThat(MediaType.problem(List.of())).isNull();
    }

    @Test
    void everyOtherCharsetSpellingIsRefused() {
        record Case(List<String> values, String says) {
        }
        for (Case c : List.of(
                new Case(List.of("application/json; charset = utf-7"), "charset \"utf-7\" not accepted"),
                new Case(List.of("application/json; charset=\"utf-7\""), "charset \"utf-7\" not accepted"),
                new Case(List.of("application/json; CHARSET=UTF-7"), "charset \"UTF-7\" not accepted"),
                new Case(List.of("application/json; charset=\"utf\\-7\""), "charset \"utf-7\" not accepted"),
                new Case(List.of("application/json; charset=utf-16le"), "charset \"utf-16le\" not accepted"),
                new Case(List.of("application/json; charset=iso-8859-1"), "charset \"iso-8859-1\" not accepted"),
                new Case(List.of("application/json; charset=\"\""), "charset \"\" not accepted"),
                new Case(List.of("application/json; charset=\" utf-8\""), "not accepted"),
                new Case(List.of("application/json; charset=utf-8; charset=utf-7"), "more than one charset"),
                new Case(List.of("application/json; charset=utf-8; Charset=utf-8"), "more than one charset"),
                new Case(List.of("application/json; charset*=utf-8''"), "charset*"),
                new Case(List.of("application/json; charset*0=utf-7"), "charset*0"),
                new Case(List.of("application/json", "application/json; charset=utf-7"), "sent 2 times"),
                new Case(List.of("application/json; charset=utf-8, application/json; charset=utf-7"), "malformed"))) {
            assertThat(MediaType.problem(c.values())).as(c.values().toString()).isNotNull().contains(c.says());
        }
    }
}
