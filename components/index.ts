export * from "./ci-deployer";
export * from "./cluster-roles";
export * from "./tenant-access";
export * from "./tenant-component";
export * from "./tenant-namespace";
export * from "./tenant-vault";
