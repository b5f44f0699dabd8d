package dev.toolgate.operator.approval;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One tool call waiting for, or carrying, a human's decision. The operator creates it when a sidecar meets a call whose
 * policy requires approval; a human sets {@code spec.decision} (RBAC decides who may); the operator's webhook stamps the
 * approver; a sidecar consumes it when the same call comes again.
 */
@Group("toolgate.dev")
@Version("v1alpha1")
@Plural("mcpapprovals")
@ShortNames("mcpa")
@AdditionalPrinterColumn(name = "Tool", jsonPath = ".spec.tool", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Requester", jsonPath = ".spec.requester.subject", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "State", jsonPath = ".status.state", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Approver", jsonPath = ".spec.decision.approver", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class McpApproval extends CustomResource<McpApprovalSpec, McpApprovalStatus> implements Namespaced {
}
