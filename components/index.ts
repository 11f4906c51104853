export * from "./ci-deployer";
export * from "./cluster-roles";
export * from "./labels";
export * from "./tenant-access";
export * from "./tenant-namespace";
export * from "./tenant-vault";
export * from "./vault-policy";
