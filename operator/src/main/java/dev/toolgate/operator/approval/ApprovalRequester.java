package dev.toolgate.operator.approval;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.fabric8.generator.annotation.Required;

/** Who made the call, as the sidecar verified it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ApprovalRequester {

    /** The caller's subject: a JWT's subject claim, {@code system:serviceaccount:NS:NAME}, or a trusted header's value. */
    @Required
    private String subject;
    private List<String> groups;
    /** How the sidecar established it: {@code header}, {@code jwt} or {@code service-account}. */
    private String source;
    /** The grant whose entry requires the approval; absent for the policy's own tools. */
    private String grant;
    /** The MCP session the call came in. */
    private String session;

    public String getSubject() { return subject; }
    public void setSubject(String subject) { this.subject = subject; }
    public List<String> getGroups() { return groups; }
    public void setGroups(List<String> groups) { this.groups = groups; }
    public String getSource() { return source; }
    public void setSource(String source) { this.source = source; }
    public String getGrant() { return grant; }
    public void setGrant(String grant) { this.grant = grant; }
    public String getSession() { return session; }
    public void setSession(String session) { this.session = session; }
}
