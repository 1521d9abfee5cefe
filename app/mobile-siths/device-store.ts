/**
 * The phone simulator's keychain: the Mobile SITHS devices this browser holds, in IndexedDB. The private
 * key is a WebCrypto CryptoKey made with extractable=false, so it is stored (structured clone) but its bytes
 * can never be read, by this page or anyone else.
 */
export interface StoredDevice {
  deviceId: string;
  name: string;
  privateKey: CryptoKey;
  certificatePem: string;
  trustLevel: number;
  validTo: string;
  holderName: string;
  addedAt: number;
}

const databaseName = 'siths-mobile-simulator';
const storeName = 'devices';

function openDatabase(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(databaseName, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(storeName, { keyPath: 'deviceId' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore<T>(
  mode: IDBTransactionMode,
  use: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const database = await openDatabase();
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = database.transaction(storeName, mode);
      const request = use(transaction.objectStore(storeName));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    database.close();
  }
}

/** Oldest first: the order the phone got them in. */
export async function listDevices(): Promise<StoredDevice[]> {
  const devices = await withStore<StoredDevice[]>('readonly', (store) => store.getAll());
  return devices.sort((a, b) => a.addedAt - b.addedAt);
}

export function saveDevice(device: StoredDevice): Promise<IDBValidKey> {
  return withStore('readwrite', (store) => store.put(device));
}

export function removeDevice(deviceId: string): Promise<undefined> {
  return withStore('readwrite', (store) => store.delete(deviceId));
}
