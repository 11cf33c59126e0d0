// The Phoenix policy pack. Only constructs the pack: constructing it starts the analyzer server
// the Pulumi CLI talks to, so the policies live (and are tested) in ./src.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./src/policies";

new PolicyPack(PACK_NAME, {
    description: "Security and release-model rules every Phoenix stack (registry, platform, release) must pass.",
    enforcementLevel: "advisory",
    policies,
});
